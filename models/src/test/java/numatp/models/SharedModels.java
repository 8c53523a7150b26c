package numatp.models;

import numatp.topology.SharedData;

import java.nio.file.Path;

/** Paths of the real model data in ../shared/models (see {@link SharedData}). */
public final class SharedModels {
    private SharedModels() {
    }

    /** The models folder; the calling test is skipped (or fails under CI) when it is absent. */
    public static Path dir() {
        return SharedData.require("models");
    }

    public static Path stories() {
        return dir().resolve("stories260K.bin");
    }

    public static Path tok512() {
        return dir().resolve("tok512.bin");
    }
}
