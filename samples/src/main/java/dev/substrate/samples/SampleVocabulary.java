package dev.substrate.samples;

import java.util.List;

/**
 * The names every sample generator draws from (regions, tenants, models, people), so that requests,
 * readings and audit events of one sample run refer to the same things.
 */
public final class SampleVocabulary {

    private SampleVocabulary() {}

    /** Cloud-style region names; the fleet uses the first N of them. */
    public static final List<String> REGIONS =
            List.of(
                    "us-east-1",
                    "us-west-2",
                    "eu-west-1",
                    "eu-central-1",
                    "ap-southeast-1",
                    "ap-northeast-1",
                    "us-central-1",
                    "sa-east-1");

    /** Short codes of {@link #REGIONS}, used in cluster and node names. */
    static final List<String> REGION_CODES =
            List.of("use1", "usw2", "euw1", "euc1", "apse1", "apne1", "usc1", "sae1");

    /** Tenants (teams or customers) that request capacity and invoke models. */
    public static final List<String> TENANTS =
            List.of(
                    "acme-research",
                    "globex-ml",
                    "initech-search",
                    "umbrella-bio",
                    "hooli-ads",
                    "stark-vision",
                    "wayne-finance",
                    "cyberdyne-robotics");

    /** A served or trained model, its current version and its size class. */
    public record ModelSpec(String name, List<String> versions, double sizeFactor) {}

    /** Models; sizeFactor 1.0 needs a whole 80 GB device per replica, 0.1 a small slice. */
    public static final List<ModelSpec> MODELS =
            List.of(
                    new ModelSpec("llama-3.1-70b", List.of("3.1.0", "3.1.2"), 1.0),
                    new ModelSpec("llama-3.1-8b", List.of("3.1.0", "3.1.2"), 0.25),
                    new ModelSpec("mistral-7b-instruct", List.of("0.3"), 0.22),
                    new ModelSpec("qwen2.5-32b", List.of("2.5.0", "2.5.1"), 0.6),
                    new ModelSpec("whisper-large-v3", List.of("3.0"), 0.1),
                    new ModelSpec("stable-diffusion-xl", List.of("1.0", "1.0-refiner"), 0.18),
                    new ModelSpec("bert-large-uncased", List.of("1.0"), 0.05),
                    new ModelSpec("fraud-gbdt-embedder", List.of("2026.10", "2026.11"), 0.08));

    static final List<String> FIRST_NAMES =
            List.of(
                    "maria", "wei", "james", "aisha", "lukas", "sofia", "ravi", "emma", "kenji",
                    "olga", "diego", "fatima", "noah", "ines", "tomasz", "yuki", "amara", "liam",
                    "chloe", "mateo", "priya", "jonas", "zanele", "hugo");

    static final List<String> LAST_NAMES =
            List.of(
                    "garcia",
                    "chen",
                    "smith",
                    "okafor",
                    "schmidt",
                    "rossi",
                    "patel",
                    "martin",
                    "tanaka",
                    "ivanova",
                    "fernandez",
                    "haddad",
                    "johnson",
                    "silva",
                    "nowak",
                    "sato",
                    "mensah",
                    "murphy",
                    "dubois",
                    "lopez",
                    "sharma",
                    "berg",
                    "dlamini",
                    "lefebvre");

    /** Mail domains of the tenants' people (the reserved .example top-level domain). */
    static String domainOf(String tenant) {
        return tenant.substring(0, tenant.indexOf('-')) + ".example";
    }
}
