"""The check framework: what a check is (:mod:`.base`), and the helpers every API's checks share
(numbers, snapshots, answers, realistic bodies, conventions). The checks themselves live in the API
packages (``orderproof.apis.<api>.checks``) and register on import."""
