package dev.substrate.operators.quality;

import java.io.Serializable;
import java.util.Objects;

/**
 * One declarative quality rule: a CEL expression over the fields of a record that is true for good
 * records, with what to do when it is false.
 *
 * @param name unique within its rule file; lower snake case, also the metric group name
 * @param doc one line saying what the rule checks, for people
 * @param expression a boolean CEL expression over the record's fields by name
 * @param severity how much a failure matters
 * @param action what happens to a record that fails
 */
public record Rule(String name, String doc, String expression, Severity severity, Action action)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(doc, "doc");
        Objects.requireNonNull(expression, "expression");
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(action, "action");
    }
}
