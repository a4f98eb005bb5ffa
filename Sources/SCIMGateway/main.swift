import SCIMApp

await GatewayMain.run()
