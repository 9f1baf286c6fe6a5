"""The registration desk's helpers (登记): file checks for attachments and likely earlier petitions on
the same matter. A plain package (no models, no app): the writes stay in xinfang.petitions.services."""
