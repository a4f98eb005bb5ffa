import ArgumentParser

/// The executable's whole body (`scim-gateway` calls this), so every command stays testable in this module.
public enum GatewayMain {
    public static func run() async {
        await GatewayCommand.main()
    }
}
