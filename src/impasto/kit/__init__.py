"""Building blocks shared by every domain: no business rules live here."""
