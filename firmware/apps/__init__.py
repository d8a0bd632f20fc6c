# Applications built only from the servers.
