package dev.tokenbus.cli;

import dev.tokenbus.engine.gguf.GgufInfo;
import dev.tokenbus.engine.gguf.GgufValidator;
import dev.tokenbus.engine.gguf.TinyLlamaModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tokenbus model ...}: model files. */
@Command(name = "model", description = "Model files.", mixinStandardHelpOptions = true,
    subcommands = {ModelCommand.Generate.class, ModelCommand.Inspect.class})
final class ModelCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Write the generated demo model (a small llama network with seeded random weights).")
  static final class Generate implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "Where to write the GGUF file.")
    Path file;

    @Option(names = "--seed", defaultValue = "42")
    long seed;

    @Option(names = "--layers", defaultValue = "2")
    int layers;

    @Override
    public Integer call() throws Exception {
      TinyLlamaModel.write(TinyLlamaModel.Spec.defaults().withSeed(seed).withLayers(layers), file);
      System.out.println("wrote " + file);
      return 0;
    }
  }

  @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Check a GGUF file and print what it holds.")
  static final class Inspect implements Callable<Integer> {
    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws Exception {
      GgufInfo info = GgufValidator.validate(file);
      System.out.println(info);
      return 0;
    }
  }
}
