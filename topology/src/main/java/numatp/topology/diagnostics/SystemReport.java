package numatp.topology.diagnostics;

import java.util.List;

/** The system check's items, in a fixed order; {@link #toText()} prints one line per item. */
public record SystemReport(List<CheckItem> items) {
    public SystemReport {
        items = List.copyOf(items);
    }

    public boolean hasWarnings() {
        return items.stream().anyMatch(i -> i.status() == CheckItem.Status.WARN);
    }

    public String toText() {
        StringBuilder out = new StringBuilder();
        for (CheckItem item : items) {
            out.append(item.toText()).append('\n');
        }
        return out.toString();
    }
}
