# The fault-injection campaign (make chaos, mpk chaos): the firmware image under a steady
# verified client load while a seeded generator injects faults of every class.
