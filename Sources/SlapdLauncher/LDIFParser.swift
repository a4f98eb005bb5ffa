/// A minimal LDIF reader for the harness's own files: records of `attr: value` and `attr:: base64` lines,
/// continuation lines (one leading space), comments, blank-line separators.
public enum LDIFParser {
    public struct Record: Sendable {
        public var dn: String
        public var attributes: [(String, [[UInt8]])]
    }

    public static func records(_ text: String) -> [Record] {
        var records: [Record] = []
        var lines: [String] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.hasPrefix(" "), !lines.isEmpty {
                lines[lines.count - 1] += line.dropFirst()
            } else if line.hasPrefix("#"), !line.isEmpty {
                continue
            } else if line.isEmpty {
                if let record = record(lines) { records.append(record) }
                lines.removeAll()
            } else {
                lines.append(line)
            }
        }
        if let record = record(lines) { records.append(record) }
        return records
    }

    private static func record(_ lines: [String]) -> Record? {
        var dn: String?
        var order: [String] = []
        var values: [String: [[UInt8]]] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            var rest = line[line.index(after: colon)...]
            let value: [UInt8]
            if rest.hasPrefix(":") {
                rest = rest.dropFirst()
                value = Base64.decode(rest.trimmingCharacters(in: .whitespaces)) ?? []
            } else {
                value = Array(rest.drop(while: { $0 == " " }).utf8)
            }
            if name.lowercased() == "dn" {
                dn = String(decoding: value, as: UTF8.self)
                continue
            }
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(value)
        }
        guard let dn else { return nil }
        return Record(dn: dn, attributes: order.map { ($0, values[$0] ?? []) })
    }
}

import Foundation

enum Base64 {
    static func decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { Array($0) } }
}
