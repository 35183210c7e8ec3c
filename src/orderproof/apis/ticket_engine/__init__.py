"""The ticket engine shared by jackpot-ticket (seed 001) and superbet-reserve (seed 003): one provider,
one way of signing requests, one error shape, one way of computing taxes and times. Not an API of
its own: :mod:`orderproof.apis.jackpot_ticket` and :mod:`orderproof.apis.superbet_reserve` build on it."""
