import OrderedCollections
import SCIMCore

/// Reading and writing a mapped attribute inside a resource's JSON object.
extension JSONValue {
    /// The value at a mapped path (core attribute, sub-attribute, or extension attribute), matched
    /// case-insensitively.
    func value(at path: AttributePath) -> JSONValue? {
        var container: JSONValue? = self
        if let urn = path.schemaURN { container = self[urn] }
        guard let top = container?[path.attribute] else { return nil }
        guard let sub = path.subAttribute else { return top.isNull ? nil : top }
        let value = top[sub]
        return value?.isNull == true ? nil : value
    }

    /// Sets the value at a mapped path, creating the extension object and parent complex attribute as needed.
    /// (The containers are detached from `self` while they change, so each is modified in place, not copied.)
    mutating func set(_ value: JSONValue, at path: AttributePath) {
        guard case .object(var object) = self else { return }
        self = .null
        if let urn = path.schemaURN {
            var ext = object[urn] ?? .object([:])
            object[urn] = .null
            ext.set(value, at: AttributePath(attribute: path.attribute, subAttribute: path.subAttribute))
            object[urn] = ext
        } else if let sub = path.subAttribute {
            var parent = object[path.attribute] ?? .object([:])
            object[path.attribute] = .null
            if case .object(var members) = parent {
                parent = .null
                members[sub] = value
                parent = .object(members)
            }
            object[path.attribute] = parent
        } else {
            object[path.attribute] = value
        }
        self = .object(object)
    }

    /// Removes the value at a mapped path; an emptied parent object goes too.
    mutating func remove(at path: AttributePath) {
        guard case .object(var object) = self else { return }
        self = .null
        if let urn = path.schemaURN {
            guard var ext = object[urn] else { self = .object(object); return }
            ext.remove(at: AttributePath(attribute: path.attribute, subAttribute: path.subAttribute))
            object[urn] = ext.objectValue?.isEmpty == true ? nil : ext
        } else if let sub = path.subAttribute {
            guard case .object(var members)? = object[path.attribute] else { self = .object(object); return }
            members.removeValue(forKey: sub)
            object[path.attribute] = members.isEmpty ? nil : .object(members)
        } else {
            object.removeValue(forKey: path.attribute)
        }
        self = .object(object)
    }
}
