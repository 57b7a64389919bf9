"""Personal data (RGPD): the retention of files kept outside the tables, the public privacy
notice and the processing register (article 30), all built from the same settings."""
