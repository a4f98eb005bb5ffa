// The tests start slapd with the launcher the product owns (`scim-gateway demo` uses it too): this test-only
// module re-exports it, so a test names one module for "a throwaway slapd".
@_exported import SlapdLauncher
