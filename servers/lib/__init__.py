# What servers share, and no task of its own: the protocol format, request checks and
# the serving loop (base), hardware claims (claims), the post-mortem on flash
# (postmortem), ps/trace formatting (inspect_format), a framebuf stand-in (fbcompat).
