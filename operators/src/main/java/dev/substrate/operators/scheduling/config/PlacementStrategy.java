package dev.substrate.operators.scheduling.config;

/**
 * BIN_PACK fills nodes up (fewer, fuller nodes; whole nodes stay free for big jobs); SPREAD uses
 * the emptiest nodes first (less interference).
 */
public enum PlacementStrategy {
    BIN_PACK,
    SPREAD
}
