// mlflow server, in .NET: dotnet Mlops.Tracking.Server.dll --backend-store-uri sqlite:///mlflow.db
//   --default-artifact-root ./mlruns --host 127.0.0.1 --port 5000
try
{
    var app = Mlops.Tracking.Server.TrackingServer.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
