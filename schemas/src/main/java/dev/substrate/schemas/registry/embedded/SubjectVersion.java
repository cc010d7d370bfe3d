package dev.substrate.schemas.registry.embedded;

/** One version of a subject, as the versions endpoints serve it. */
record SubjectVersion(String subject, int version, boolean deleted, StoredSchema schema) {}
