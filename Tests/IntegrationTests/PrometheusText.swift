import Foundation

/// A parsed Prometheus text exposition (what `/metrics` serves): each sample's name, labels and value.
struct PrometheusText {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line in
            line.hasPrefix("#") || line.isEmpty ? nil : Self.sample(Substring(line))
        }
    }

    /// Every sample name exported (`_bucket`, `_sum`, `_count` of histograms included).
    var names: Set<String> { Set(samples.map(\.name)) }

    /// The value of the sample with exactly these labels (le excluded), or 0 when it is absent.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.first { $0.name == name && $0.labels == labels }?.value ?? 0
    }

    /// The sum over every sample of `name` whose labels include `labels`.
    func sum(_ name: String, matching labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }
            .reduce(0) { $0 + $1.value }
    }

    static func sample(_ line: Substring) -> Sample? {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while let first = rest.first, first != "}" {
                if first == "," { rest = rest.dropFirst(); continue }
                guard let equals = rest.firstIndex(of: "=") else { return nil }
                let key = String(rest[..<equals])
                rest = rest[rest.index(after: equals)...].dropFirst()  // ="
                var value = ""
                while let char = rest.first, char != "\"" {
                    rest = rest.dropFirst()
                    if char == "\\", let escaped = rest.first {
                        rest = rest.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(char)
                    }
                }
                rest = rest.dropFirst()  // closing quote
                labels[key] = value
            }
            rest = rest.dropFirst()
        }
        guard let value = Double(rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
