package dev.substrate.vectors.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;

/**
 * The words BM25 matches: English, lower-cased, stemmed (Porter), without stop words. Both stores
 * use it, so that a query finds the same words in Lucene and in Qdrant. Thread-safe.
 */
public final class TextTerms {

    private static final Analyzer ANALYZER = new EnglishAnalyzer();

    private TextTerms() {}

    /** The analyzer that produces the terms (Lucene indexes text with it). */
    static Analyzer analyzer() {
        return new EnglishAnalyzer();
    }

    /** The terms of {@code text}, in order, repeats included. */
    public static List<String> of(String text) {
        List<String> terms = new ArrayList<>();
        try (TokenStream tokens = ANALYZER.tokenStream("text", text)) {
            CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
            tokens.reset();
            while (tokens.incrementToken()) {
                terms.add(term.toString());
            }
            tokens.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return terms;
    }
}
