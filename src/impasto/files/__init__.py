"""Files: uploads (fal's CDN and storage protocols), serving, ACLs and project storage."""
