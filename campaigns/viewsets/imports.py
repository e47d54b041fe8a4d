"""File imports in the admin: upload, map columns, dry run, import with progress."""
