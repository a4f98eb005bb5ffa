/// Well-known URNs of RFC 7643 and RFC 7644.
public enum SCIMURN {
    public static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    public static let group = "urn:ietf:params:scim:schemas:core:2.0:Group"
    public static let enterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    public static let schema = SCIMSchema.schemaURN
    public static let resourceType = SCIMResourceType.schemaURN
    public static let serviceProviderConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    public static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    public static let searchRequest = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
    public static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    public static let bulkRequest = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
    public static let bulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
    public static let error = SCIMError.schemaURN
}
