import LDAPClient
import SCIMCore

/// The SCIM answers and log advice for lists the directory cannot serve as asked. Details name what to configure,
/// never an LDAP diagnostic.
enum ListingErrors {
    /// The olcLimits clause that lifts slapd's default limit (500 entries per search, paged and sorted ones too)
    /// for the service account.
    static func limitsClause(serviceDN: String?) -> String {
        "olcLimits: dn.exact=\"\(serviceDN ?? "<service account DN>")\" size.soft=unlimited size.hard=unlimited "
            + "size.pr=unlimited size.prtotal=unlimited"
    }

    /// Result 4 the gateway did not ask for: the directory's limit on the service account, never a short total.
    static func sizeLimited(_ resource: String) -> SCIMError {
        .tooMany(
            "The directory limits how many entries the gateway's service account may read in one search, and "
                + "this list of \(resource) resources goes past that limit, so it cannot be answered with a correct total. "
                + "The directory's administrator can lift the limit for the service account with an olcLimits clause "
                + "(size.hard and, for paged searches, size.prtotal); until then narrow the filter or ask for a smaller count.")
    }

    /// `sortBy` without server-side sort: refused, never sorted in memory.
    static func sortUnavailable() -> SCIMError {
        .invalidValue(
            "sortBy is not supported by this service provider: the directory offers no server-side sort "
                + "(its administrator can load OpenLDAP's sssvlv overlay). List without sortBy to get the resources in the "
                + "directory's order; ServiceProviderConfig advertises sort.supported=false.")
    }

    /// Neither paged results nor sort + VLV: lists cannot be answered at all.
    static func listingUnavailable() -> SCIMError {
        .unavailable("The directory offers no way to page through results; see the gateway's log.")
    }

    /// Any other LDAP failure of a list: a SCIM error with a generic detail (never a 500).
    static func translate(_ error: LDAPError, _ resource: String) -> SCIMError {
        switch error.code {
        case .sizeLimitExceeded:
            return sizeLimited(resource)
        case .inappropriateMatching:
            return .invalidValue("The directory cannot order \(resource) resources by this attribute.")
        case .unavailableCriticalExtension, .timeLimitExceeded, .unwillingToPerform, .other, .operationsError:
            return .unavailable("The directory could not answer this list; retry later.")
        default:
            let translated = LDAPErrorTranslation.scimError(error, resource: resource)
            return translated.status == 500 ? .unavailable("The directory could not answer this list; retry later.") : translated
        }
    }
}
