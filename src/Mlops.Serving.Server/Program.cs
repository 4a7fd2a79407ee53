// mlflow models serve / mlserver start, in .NET:
//   mlops-serving --tracking-uri sqlite:///mlruns.db --model recsys=models:/recsys@champion --http-port 8080 --grpc-port 8081
try
{
    var app = Mlops.Serving.Server.ServingServer.Build(args);
    await app.RunAsync();
    return 0;
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync(e.Message);
    return 2;
}
