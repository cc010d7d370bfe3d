package dev.substrate.embedded.registry;

/** One version of a subject, as the versions endpoints serve it. */
record SubjectVersion(String subject, int version, boolean deleted, StoredSchema schema) {}
