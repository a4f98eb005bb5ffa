/// The metric names a PromQL expression reads: identifiers outside label matchers, ranges and strings that are
/// neither functions, aggregation operators nor keywords; the label lists of `by (...)`, `on (...)` and their
/// kin are skipped. Enough for dashboard queries (no subqueries with `@`).
enum PromQLMetricNames {
    static let operators: Set<String> = [
        "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group",
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
    ]
    static let labelLists: Set<String> = ["by", "without", "on", "ignoring", "group_left", "group_right"]

    static func names(in expression: String) -> Set<String> {
        // Grafana's templating call `label_values(metric, label)`: only its first argument is a metric.
        if expression.hasPrefix("label_values("), let comma = expression.firstIndex(of: ",") {
            return names(in: String(expression.dropFirst("label_values(".count)[..<comma]))
        }
        let chars = Array(expression)
        var names: Set<String> = []
        var index = 0
        func skip(from open: Character, to close: Character) {
            var depth = 0
            while index < chars.count {
                let char = chars[index]
                if char == "\"" || char == "'" { skipString(); continue }
                if char == open { depth += 1 }
                if char == close { depth -= 1; if depth == 0 { index += 1; return } }
                index += 1
            }
        }
        func skipString() {
            let quote = chars[index]
            index += 1
            while index < chars.count, chars[index] != quote {
                index += chars[index] == "\\" ? 2 : 1
            }
            index += 1
        }
        func nextNonSpace(after position: Int) -> Character? {
            var position = position
            while position < chars.count, chars[position] == " " { position += 1 }
            return position < chars.count ? chars[position] : nil
        }
        while index < chars.count {
            let char = chars[index]
            if char == "\"" || char == "'" { skipString(); continue }
            if char == "{" { skip(from: "{", to: "}"); continue }
            if char == "[" { skip(from: "[", to: "]"); continue }
            if char.isNumber {
                while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "." { index += 1 }
                continue
            }
            if char.isLetter || char == "_" || char == ":" {
                let start = index
                while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" || chars[index] == ":" {
                    index += 1
                }
                let word = String(chars[start..<index])
                let next = nextNonSpace(after: index)
                if labelLists.contains(word), next == "(" {
                    while chars[index] != "(" { index += 1 }
                    skip(from: "(", to: ")")
                } else if next == "(" || operators.contains(word) {
                    continue  // a function or an operator
                } else {
                    names.insert(word)
                }
                continue
            }
            index += 1
        }
        return names
    }
}
