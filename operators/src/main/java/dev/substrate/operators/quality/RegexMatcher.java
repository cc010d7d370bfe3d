package dev.substrate.operators.quality;

import java.util.regex.PatternSyntaxException;

/**
 * CEL's {@code matches} for one constant pattern, compiled once: true when the RE2 pattern is found
 * anywhere in the string (as CEL with partial matching does).
 *
 * <p>CEL matches with RE2 (re2j), which is exact but several times slower than {@code
 * java.util.regex}. Patterns written only with constructs that mean the same in both engines
 * (literals, classes of ASCII characters and ranges, groups, alternation, the usual quantifiers,
 * {@code \d \w ^ $ .}) are also translated to a {@code java.util.regex} pattern, which answers
 * first. Because a backtracking engine can be slow on unlucky input, it gets a budget of character
 * reads proportional to the input; past it, re2j answers. Not thread-safe (matchers are reused).
 */
final class RegexMatcher {

    /** Character reads the backtracking engine may make per input character, plus a constant. */
    private static final int BUDGET_PER_CHAR = 32;

    private static final int BUDGET_BASE = 256;

    private static final int MAX_REPEAT = 1000;

    private final String pattern;
    private final com.google.re2j.Pattern re2;
    private final java.util.regex.Matcher fast;
    private final BudgetedChars budgeted;

    /**
     * @throws IllegalArgumentException when RE2 does not accept the pattern or it is larger than
     *     {@code maxProgramSize} (when that is not negative): CEL would fail every evaluation
     */
    RegexMatcher(String pattern, int maxProgramSize) {
        this.pattern = pattern;
        this.re2 = com.google.re2j.Pattern.compile(pattern);
        if (maxProgramSize >= 0 && re2.programSize() > maxProgramSize) {
            throw new IllegalArgumentException("regex program too large: " + pattern);
        }
        String translated = SubsetTranslation.toJava(pattern);
        java.util.regex.Matcher matcher = null;
        if (translated != null) {
            try {
                matcher =
                        java.util.regex.Pattern.compile(
                                        translated, java.util.regex.Pattern.UNIX_LINES)
                                .matcher("");
            } catch (PatternSyntaxException e) {
                matcher = null;
            }
        }
        this.fast = matcher;
        this.budgeted = matcher == null ? null : new BudgetedChars();
    }

    /** Whether the fast engine serves this pattern (for tests). */
    boolean hasFastPath() {
        return fast != null;
    }

    String pattern() {
        return pattern;
    }

    boolean find(String input) {
        if (fast != null) {
            budgeted.reset(input);
            try {
                return fast.reset(budgeted).find();
            } catch (BudgetExceeded e) {
                // Fall through to RE2, which is linear in the input.
            } finally {
                budgeted.reset("");
                fast.reset("");
            }
        }
        return re2.matcher(input).find();
    }

    /** Signals a spent budget; shared and without a stack trace, it costs nothing to throw. */
    private static final class BudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;
        static final BudgetExceeded INSTANCE = new BudgetExceeded();

        private BudgetExceeded() {
            super("regex budget exceeded", null, false, false);
        }
    }

    /** The input seen through a counter of character reads. */
    private static final class BudgetedChars implements CharSequence {
        private String text = "";
        private int remaining;

        void reset(String input) {
            this.text = input;
            this.remaining = BUDGET_BASE + BUDGET_PER_CHAR * input.length();
        }

        @Override
        public int length() {
            return text.length();
        }

        @Override
        public char charAt(int index) {
            if (--remaining < 0) {
                throw BudgetExceeded.INSTANCE;
            }
            return text.charAt(index);
        }

        @Override
        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * Translates the subset of RE2 syntax that {@code java.util.regex} reads alike (with {@code $}
     * as {@code \z}: in RE2 it matches only at the very end), or returns null.
     */
    static final class SubsetTranslation {
        private static final String ESCAPABLE = ".+*?()[]{}|^$\\-/";
        private static final String META = ".[]{}()*+?|^$\\";

        private final String in;
        private final StringBuilder out = new StringBuilder();
        private int pos;

        private SubsetTranslation(String in) {
            this.in = in;
        }

        static String toJava(String pattern) {
            SubsetTranslation t = new SubsetTranslation(pattern);
            try {
                t.alternation();
                if (t.pos != pattern.length()) {
                    return null;
                }
                return t.out.toString();
            } catch (NotInSubset e) {
                return null;
            }
        }

        private void alternation() {
            concatenation();
            while (more() && peek() == '|') {
                out.append('|');
                pos++;
                concatenation();
            }
        }

        private void concatenation() {
            while (more() && peek() != '|' && peek() != ')') {
                boolean quantifiable = atom();
                if (more() && isQuantifierStart(peek())) {
                    if (!quantifiable) {
                        throw new NotInSubset();
                    }
                    quantifier();
                }
            }
        }

        /** Reads one atom; returns whether a quantifier may follow it. */
        private boolean atom() {
            char c = peek();
            switch (c) {
                case '(' -> {
                    pos++;
                    out.append('(');
                    if (more() && peek() == '?') {
                        if (pos + 1 < in.length() && in.charAt(pos + 1) == ':') {
                            out.append("?:");
                            pos += 2;
                        } else {
                            throw new NotInSubset();
                        }
                    }
                    alternation();
                    if (!more() || peek() != ')') {
                        throw new NotInSubset();
                    }
                    pos++;
                    out.append(')');
                    return true;
                }
                case '[' -> {
                    characterClass();
                    return true;
                }
                case '^' -> {
                    pos++;
                    out.append('^');
                    return false;
                }
                case '$' -> {
                    pos++;
                    out.append("\\z");
                    return false;
                }
                case '.' -> {
                    pos++;
                    out.append('.');
                    return true;
                }
                case '\\' -> {
                    escape(false);
                    return true;
                }
                default -> {
                    if (META.indexOf(c) >= 0 || !isPrintableAscii(c)) {
                        throw new NotInSubset();
                    }
                    pos++;
                    out.append(c);
                    return true;
                }
            }
        }

        private void escape(boolean inClass) {
            if (pos + 1 >= in.length()) {
                throw new NotInSubset();
            }
            char e = in.charAt(pos + 1);
            if (e == 'd' || e == 'w' || (!inClass && (e == 'D' || e == 'W'))) {
                out.append('\\').append(e);
            } else if (ESCAPABLE.indexOf(e) >= 0) {
                out.append('\\').append(e);
            } else {
                throw new NotInSubset();
            }
            pos += 2;
        }

        private void characterClass() {
            pos++; // [
            out.append('[');
            if (more() && peek() == '^') {
                out.append('^');
                pos++;
            }
            int items = 0;
            while (true) {
                if (!more()) {
                    throw new NotInSubset();
                }
                char c = peek();
                if (c == ']') {
                    if (items == 0) {
                        throw new NotInSubset();
                    }
                    pos++;
                    out.append(']');
                    return;
                }
                if (c == '\\') {
                    char e = pos + 1 < in.length() ? in.charAt(pos + 1) : 0;
                    boolean single = ESCAPABLE.indexOf(e) >= 0;
                    escape(true);
                    if (single && isRangeDash()) {
                        range();
                    }
                } else if (c == '-') {
                    // A dash is literal only first or last.
                    boolean last = pos + 1 < in.length() && in.charAt(pos + 1) == ']';
                    if (items != 0 && !last) {
                        throw new NotInSubset();
                    }
                    out.append("\\-");
                    pos++;
                } else if (c == '[' || c == '&' || !isPrintableAscii(c)) {
                    throw new NotInSubset();
                } else {
                    out.append(c);
                    pos++;
                    if (isRangeDash()) {
                        range();
                    }
                }
                items++;
            }
        }

        private boolean isRangeDash() {
            return pos + 1 < in.length() && peek() == '-' && in.charAt(pos + 1) != ']';
        }

        /** At a range's dash: reads the dash and the upper end, a single character. */
        private void range() {
            pos++;
            out.append('-');
            char hi = peek();
            if (hi == '\\') {
                char e = pos + 1 < in.length() ? in.charAt(pos + 1) : 0;
                if (ESCAPABLE.indexOf(e) < 0) {
                    throw new NotInSubset();
                }
                escape(true);
            } else if (hi == '[' || hi == ']' || hi == '&' || !isPrintableAscii(hi)) {
                throw new NotInSubset();
            } else {
                out.append(hi);
                pos++;
            }
        }

        private void quantifier() {
            char c = peek();
            if (c == '{') {
                int close = in.indexOf('}', pos);
                if (close < 0) {
                    throw new NotInSubset();
                }
                String body = in.substring(pos + 1, close);
                if (!body.matches("[0-9]{1,4}(,([0-9]{1,4})?)?")) {
                    throw new NotInSubset();
                }
                for (String n : body.split(",")) {
                    if (!n.isEmpty() && Integer.parseInt(n) > MAX_REPEAT) {
                        throw new NotInSubset();
                    }
                }
                out.append(in, pos, close + 1);
                pos = close + 1;
            } else {
                out.append(c);
                pos++;
            }
            if (more() && peek() == '?') {
                out.append('?');
                pos++;
            }
            // RE2 refuses a repeated repetition; Java would read it as possessive or nested.
            if (more() && isQuantifierStart(peek())) {
                throw new NotInSubset();
            }
        }

        private static boolean isQuantifierStart(char c) {
            return c == '*' || c == '+' || c == '?' || c == '{';
        }

        private static boolean isPrintableAscii(char c) {
            return c >= 0x20 && c <= 0x7e;
        }

        private boolean more() {
            return pos < in.length();
        }

        private char peek() {
            return in.charAt(pos);
        }

        private static final class NotInSubset extends RuntimeException {
            private static final long serialVersionUID = 1L;

            NotInSubset() {
                super(null, null, false, false);
            }
        }
    }
}
