using StyleBridge.Cli;

return StyleBridgeCli.Run(args);
