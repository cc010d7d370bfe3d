package dev.substrate.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;

/** An answer of the embedded registry: HTTP status and JSON body text. */
record RegistryResponse(int status, String body) {

    static RegistryResponse ok(JsonNode node) {
        return new RegistryResponse(200, node.toString());
    }

    /** A 200 whose body is already JSON text, such as a raw schema. */
    static RegistryResponse raw(String json) {
        return new RegistryResponse(200, json);
    }

    static RegistryResponse error(RegistryError error) {
        return new RegistryResponse(
                error.httpStatus(),
                RegistryJson.object()
                        .put("error_code", error.errorCode())
                        .put("message", error.getMessage())
                        .toString());
    }
}
