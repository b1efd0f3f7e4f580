"""Business rules, callable without HTTP. The only code that writes to the database."""
