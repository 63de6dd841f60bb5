#include "crashsim/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

extern char** environ;

namespace crashsim {
namespace {

using walproof::Result;
using walproof::Status;

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

[[noreturn]] void ExecChild(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive crashsim
  for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  std::fprintf(stderr, "crashsim: cannot run %s: %s\n", argv[0].c_str(), std::strerror(errno));
  _exit(127);
}

}  // namespace

void SignalGroup(int pid, int sig) {
  if (pid > 0) kill(-pid, sig);
}

Result<int> StartProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  if (argv.empty()) return Status::InvalidArgument("no command");
  pid_t pid = fork();
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(argv, env);
  setpgid(pid, pid);
  return static_cast<int>(pid);
}

bool WaitProcess(int pid, double timeout_seconds, int* exit_code) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid, &status, timeout_seconds > 0 ? WNOHANG : 0);
    if (r == pid) {
      *exit_code = DecodeStatus(status);
      return true;
    }
    if (r < 0 && errno != EINTR) {
      *exit_code = -1;
      return true;
    }
    if (timeout_seconds > 0 && std::chrono::steady_clock::now() > deadline) return false;
    if (timeout_seconds > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::string& input,
                                 double timeout_seconds, bool merge_stderr) {
  if (argv.empty()) return Status::InvalidArgument("no command");
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  if (pipe2(out, O_CLOEXEC) != 0) {
    close(in[0]), close(in[1]);
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid = fork();
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    if (merge_stderr) dup2(out[1], 2);
    ExecChild(argv, {});
  }
  setpgid(pid, pid);
  close(in[0]);
  close(out[1]);
  signal(SIGPIPE, SIG_IGN);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  ProcessResult result;
  size_t sent = 0;
  if (input.empty()) close(in[1]), in[1] = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
  bool open_out = true;
  while (open_out) {
    pollfd fds[2] = {{out[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    int n = poll(fds, in[1] >= 0 ? 2 : 1, 100);
    if (n < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t got = read(out[0], buf, sizeof buf);
      if (got > 0) {
        result.output.append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        open_out = false;
      }
    }
    if (in[1] >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(in[1], input.data() + sent, input.size() - sent);
      if (w > 0) sent += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN) sent = input.size();
      if (sent >= input.size()) close(in[1]), in[1] = -1;
    }
    if (timeout_seconds > 0 && std::chrono::steady_clock::now() > deadline) {
      result.timed_out = true;
      SignalGroup(pid, SIGKILL);
      break;
    }
  }
  if (in[1] >= 0) close(in[1]);
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  SignalGroup(pid, SIGKILL);  // anything the checker left behind in its group
  result.exit_code = DecodeStatus(status);
  return result;
}

}  // namespace crashsim
