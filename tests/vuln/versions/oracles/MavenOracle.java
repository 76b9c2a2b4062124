// Reference for the Maven differential test: Maven's own ComparableVersion (Debian's
// maven-artifact jar) judges every case of the file given as argument, one
// "C<TAB>a<TAB>b" line each, in this one process: -1, 0 or 1.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
  public static void main(String[] args) throws Exception {
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
    try (BufferedReader in = Files.newBufferedReader(Paths.get(args[0]), StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] f = line.split("\t", -1);
        int c = new ComparableVersion(f[1]).compareTo(new ComparableVersion(f[2]));
        out.write(Integer.toString(Integer.signum(c)));
        out.write('\n');
      }
    }
    out.flush();
  }
}
