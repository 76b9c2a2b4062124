# Reference for the RubyGems differential test: Gem::Version judges every case of the file
# given as argument, one "C<TAB>a<TAB>b" line each, in this one process: -1, 0 or 1, or E
# when either version is malformed.
out = []
File.foreach(ARGV[0], chomp: true) do |line|
  _kind, a, b = line.split("\t", -1)
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
  else
    out << "E"
  end
end
$stdout.write(out.join("\n") + "\n")
