package dev.substrate.jobs.ingest;

import dev.substrate.operators.quality.QualityReportAggregator;

/** The quality step the ingest uses by default. */
final class QualitySteps {

    private QualitySteps() {}

    /** The rule files of every event type, with the quality report table. */
    static QualityStep rules(IngestStage.IngestSettings settings) {
        return new RuleQualityStep(
                settings.catalog(),
                QualityReportAggregator.DEFAULT_WINDOW,
                settings.governance().allowedLateness());
    }
}
