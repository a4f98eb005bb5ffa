import Testing
import SCIMCore

@Suite("SCIMError (RFC 7644 §3.12)")
struct SCIMErrorTests {
    @Test("body has the Error schema and status as a string")
    func body() {
        let error = SCIMError.badRequest(.invalidFilter, "bad filter")
        #expect(
            error.body == [
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "scimType": "invalidFilter",
                "detail": "bad filter",
                "status": "400",
            ])
        #expect(error.body.jsonString().hasPrefix(#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"]"#))
    }

    @Test("no scimType member without a scimType")
    func bodyWithoutType() {
        #expect(SCIMError.notFound("x").body["scimType"] == nil)
        #expect(SCIMError.notFound("x").body["status"] == "404")
    }

    @Test(
        "constructors",
        arguments: [
            (SCIMError.notFound(), 404, nil as SCIMErrorType?),
            (.conflict("dup"), 409, .uniqueness),
            (.preconditionFailed(), 412, nil),
            (.unauthorized(), 401, nil),
            (.forbidden(), 403, nil),
            (.sensitive("x"), 403, .sensitive),
            (.unavailable(), 503, nil),
            (.internal(), 500, nil),
            (.notModified(), 304, nil),
            (.invalidPath("p"), 400, .invalidPath),
            (.noTarget("p"), 400, .noTarget),
            (.mutability("m"), 400, .mutability),
            (.tooMany("t"), 400, .tooMany),
            (.invalidVersion("v"), 400, .invalidVers),
        ])
    func constructors(error: SCIMError, status: Int, type: SCIMErrorType?) {
        #expect(error.status == status)
        #expect(error.scimType == type)
    }

    @Test("every scimType has the RFC's status", arguments: SCIMErrorType.allCases)
    func statuses(type: SCIMErrorType) {
        let expected =
            switch type {
            case .uniqueness: 409
            case .sensitive: 403
            default: 400
            }
        #expect(type.status == expected)
    }

    @Test("description never carries the detail")
    func description() {
        let error = SCIMError.invalidValue("cn=secret,dc=example")
        #expect(!"\(error)".contains("secret"))
        #expect(error.description == "SCIMError(400, invalidValue)")
        #expect(error.debugDescription.contains("secret"))
        #expect(SCIMError.internal().detail == "An internal error occurred.")
    }
}
