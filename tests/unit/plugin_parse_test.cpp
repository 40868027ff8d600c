// Scheduler plugins' scripts, commands and output parsing, from sample text (PBS has no
// server here: this is its whole test; SLURM and direct also run for real elsewhere).
#include "plugin_test_support.hpp"

#include <gmock/gmock.h>

using namespace tessera_test;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {
std::shared_ptr<scheduler> sched(const std::string& name, const nlohmann::json& settings = nlohmann::json::object()) {
  return shipped_plugins().make_scheduler(name, settings);
}
job_template sample_job() {
  job_template t;
  t.job_name = "aa11-bb22";
  t.working_directory = "/scratch/run 1";
  t.argv = {"/opt/code/bin/pw.x", "-in", "it's.in"};
  t.stdout_name = "out.txt";
  t.resources.num_machines = 2;
  t.resources.num_mpiprocs_per_machine = 4;
  t.resources.max_wallclock_seconds = 3600 + 120 + 5;
  t.resources.queue_name = "debug";
  t.resources.account = "proj42";
  return t;
}
command_result result(int status, std::string out, std::string err = {}) { return {status, std::move(out), std::move(err)}; }
}  // namespace

TEST(plugin_slurm, script_has_directives_and_quoted_body) {
  auto t = sample_job();
  t.working_directory = "/scratch/run1";
  const auto script = sched("core.slurm")->submit_script(t);
  EXPECT_THAT(script, HasSubstr("#!/bin/bash\n#SBATCH --job-name=aa11-bb22\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --output=/scratch/run1/_scheduler-stdout.txt\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=4\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --time=1:02:05\n"));
  EXPECT_THAT(script, HasSubstr("#SBATCH --partition=debug\n#SBATCH --account=proj42\n"));
  EXPECT_THAT(script, HasSubstr("cd '/scratch/run1' || exit 1\n"));
  EXPECT_THAT(script, HasSubstr("'/opt/code/bin/pw.x' '-in' 'it'\\''s.in' > 'out.txt'\n"));
}

TEST(plugin_slurm, refuses_unsafe_values_on_directive_lines) {
  auto t = sample_job();  // the working directory has a space: the --output line cannot hold it
  EXPECT_THROW(sched("core.slurm")->submit_script(t), scheduler_error);
  t.working_directory = "/scratch/ok";
  t.job_name = "x\n#SBATCH --uid=0";
  EXPECT_THROW(sched("core.slurm")->submit_script(t), scheduler_error);
}

TEST(plugin_slurm, commands_and_parsing) {
  const auto s = sched("core.slurm");
  auto t = sample_job();
  t.working_directory = "/w d";
  EXPECT_EQ(s->submit_command(t, "/w d/job.sh"), "cd '/w d' && sbatch --parsable '/w d/job.sh'");
  EXPECT_EQ(s->parse_submit_output(result(0, "1234\n")), "1234");
  EXPECT_EQ(s->parse_submit_output(result(0, "1234;cluster\n")), "1234");
  EXPECT_THROW(s->parse_submit_output(result(1, "", "sbatch: error: Batch job submission failed")), scheduler_error);

  const std::vector<std::string> ids = {"1", "2", "3", "4", "5", "6", "7"};
  EXPECT_EQ(s->status_command(ids), "squeue -h -t all -j '1,2,3,4,5,6,7' -o '%i %T %r'");
  const auto st = s->parse_status_output(
      ids, result(0, "1 PENDING Resources\n2 PENDING JobHeldUser\n3 RUNNING None\n4 COMPLETED None\n5 CANCELLED None\n"
                     "6 TIMEOUT None\n"));
  EXPECT_EQ(st.at("1"), job_state::queued);
  EXPECT_EQ(st.at("2"), job_state::queued_held);
  EXPECT_EQ(st.at("3"), job_state::running);
  EXPECT_EQ(st.at("4"), job_state::done);
  EXPECT_EQ(st.at("5"), job_state::cancelled);
  EXPECT_EQ(st.at("6"), job_state::failed);
  EXPECT_EQ(st.at("7"), job_state::gone);
  // Only unknown ids: squeue fails with "Invalid job id", which means gone.
  const auto gone = s->parse_status_output(ids, result(1, "", "slurm_load_jobs error: Invalid job id specified\n"));
  for (const auto& id : ids) EXPECT_EQ(gone.at(id), job_state::gone);
  EXPECT_THROW(s->parse_status_output(ids, result(1, "", "slurm_load_jobs error: Unable to contact slurm controller")),
               scheduler_error);
  const std::vector<std::string> evil = {"1;touch x"};
  EXPECT_THROW(s->status_command(evil), scheduler_error);

  EXPECT_EQ(s->kill_command("12"), "scancel '12'");
  EXPECT_NO_THROW(s->parse_kill_output(result(1, "", "scancel: error: Kill job error on job id 12: Invalid job id specified")));
  EXPECT_THROW(s->parse_kill_output(result(1, "", "scancel: error: Access/permission denied")), scheduler_error);

  EXPECT_EQ(s->find_by_name_command("it's"), "squeue -h -t all -n 'it'\\''s' -o '%i %j'");
  EXPECT_EQ(s->parse_find_by_name_output("uuid-1", result(0, "17 uuid-1\n18 uuid-10\n")), std::vector<std::string>{"17"});
}

TEST(plugin_pbs, pbspro_script) {
  auto t = sample_job();
  t.working_directory = "/scratch/run1";
  t.resources.max_memory_kb = 2048;
  const auto script = sched("core.pbs")->submit_script(t);
  EXPECT_THAT(script, HasSubstr("#!/bin/bash\n#PBS -N aa11-bb22\n"));
  EXPECT_THAT(script, HasSubstr("#PBS -o /scratch/run1/_scheduler-stdout.txt\n#PBS -e /scratch/run1/_scheduler-stderr.txt\n"));
  EXPECT_THAT(script, HasSubstr("#PBS -l select=2:mpiprocs=4:ncpus=4:mem=2048kb\n"));
  EXPECT_THAT(script, HasSubstr("#PBS -l walltime=1:02:05\n#PBS -q debug\n#PBS -A proj42\n"));
  EXPECT_THAT(script, HasSubstr("cd '/scratch/run1' || exit 1\n"));
  EXPECT_THAT(script, HasSubstr("'/opt/code/bin/pw.x' '-in' 'it'\\''s.in' > 'out.txt'\n"));
  EXPECT_THROW(sched("core.pbs")->submit_script(sample_job()), scheduler_error);  // space in a directive path
}

TEST(plugin_pbs, torque_script) {
  auto t = sample_job();
  t.working_directory = "/scratch/run1";
  const auto script = sched("core.pbs", {{"flavor", "torque"}})->submit_script(t);
  EXPECT_THAT(script, HasSubstr("#PBS -l nodes=2:ppn=4\n"));
  EXPECT_THAT(script, Not(HasSubstr("select=")));
  EXPECT_THROW(sched("core.pbs", {{"flavor", "lsf"}}), scheduler_error);
}

TEST(plugin_pbs, commands_and_parsing_of_qstat_f) {
  const auto s = sched("core.pbs");
  auto t = sample_job();
  t.working_directory = "/w";
  EXPECT_EQ(s->submit_command(t, "/w/job.sh"), "cd '/w' && qsub '/w/job.sh'");
  EXPECT_EQ(s->parse_submit_output(result(0, "4242.pbs-server\n")), "4242.pbs-server");
  EXPECT_THROW(s->parse_submit_output(result(38, "", "qsub: Unknown queue")), scheduler_error);

  const std::vector<std::string> ids = {"101.srv", "102.srv", "103.srv", "104.srv", "105.srv", "106.srv"};
  EXPECT_EQ(s->status_command(ids), "qstat -f -x '101.srv' '102.srv' '103.srv' '104.srv' '105.srv' '106.srv'");
  // Sample `qstat -f -x` output of PBS Pro (trimmed), with one id the server forgot.
  const std::string qstat = R"(Job Id: 101.srv.example.org
    Job_Name = aa11
    Job_Owner = user@login1
    job_state = Q
    queue = workq

Job Id: 102.srv.example.org
    Job_Name = bb22
    job_state = R
    resources_used.walltime = 00:01:02

Job Id: 103.srv.example.org
    Job_Name = cc33
    job_state = F
    Exit_status = 0

Job Id: 104.srv.example.org
    Job_Name = dd44
    job_state = F
    Exit_status = 271

Job Id: 105.srv.example.org
    job_state = H
)";
  const auto st = s->parse_status_output(ids, result(35, qstat, "qstat: Unknown Job Id 106.srv\n"));
  EXPECT_EQ(st.at("101.srv"), job_state::queued);
  EXPECT_EQ(st.at("102.srv"), job_state::running);
  EXPECT_EQ(st.at("103.srv"), job_state::done);
  EXPECT_EQ(st.at("104.srv"), job_state::cancelled);
  EXPECT_EQ(st.at("105.srv"), job_state::queued_held);
  EXPECT_EQ(st.at("106.srv"), job_state::gone);
  EXPECT_THROW(s->parse_status_output(ids, result(1, "", "Connection refused\nqstat: cannot connect to server srv")),
               scheduler_error);
  const auto torque = sched("core.pbs", {{"flavor", "torque"}});
  const auto tst = torque->parse_status_output(
      ids, result(0, "Job Id: 101.srv\n    job_state = C\n    exit_status = 1\nJob Id: 102.srv\n    job_state = E\n"));
  EXPECT_EQ(tst.at("101.srv"), job_state::failed);
  EXPECT_EQ(tst.at("102.srv"), job_state::running);

  EXPECT_EQ(s->kill_command("101.srv"), "qdel '101.srv'");
  EXPECT_NO_THROW(s->parse_kill_output(result(35, "", "qdel: Unknown Job Id 101.srv")));
  EXPECT_THROW(s->parse_kill_output(result(1, "", "qdel: Unauthorized Request")), scheduler_error);
  EXPECT_EQ(s->find_by_name_command("aa11"), "qselect -x -N 'aa11'");
  EXPECT_EQ(torque->find_by_name_command("aa11"), "qselect -N 'aa11'");
  EXPECT_EQ(s->parse_find_by_name_output("aa11", result(0, "101.srv\n")), std::vector<std::string>{"101.srv"});
}

TEST(plugin_direct, script_commands_and_parsing) {
  const auto s = sched("core.direct");
  auto t = sample_job();
  const auto script = s->submit_script(t);
  EXPECT_THAT(script, Not(HasSubstr("exec -a")));  // no re-exec: the name is the script's argument
  EXPECT_THAT(script, HasSubstr("cd '/scratch/run 1' || exit 1\n"));
  t.working_directory = "/w";
  EXPECT_EQ(s->submit_command(t, "/w/j.sh"),
            "cd '/w' && { setsid /bin/bash '/w/j.sh' 'tessera-job:aa11-bb22' > /dev/null 2>&1 < /dev/null & echo $!; }");
  EXPECT_EQ(s->parse_submit_output(result(0, "4321\n")), "4321");
  // The group, without `--` (dash refuses it); the pid then the group again if there is no
  // group yet (setsid() not yet run).
  EXPECT_EQ(s->kill_command("12"), "kill -TERM -12 2>/dev/null || { kill -TERM 12 && { kill -TERM -12 2>/dev/null; true; }; }");
  const std::vector<std::string> ids = {"10", "11", "12", "13"};
  EXPECT_EQ(s->status_command(ids), "ps -o pid=,stat= -p '10,11,12,13'");
  const auto st = s->parse_status_output(ids, result(0, "   10 S\n   11 R+\n   12 Z\n"));
  EXPECT_EQ(st.at("10"), job_state::running);
  EXPECT_EQ(st.at("11"), job_state::running);
  EXPECT_EQ(st.at("12"), job_state::done);
  EXPECT_EQ(st.at("13"), job_state::gone);
  const std::vector<std::string> evil = {"1 -o"};
  EXPECT_THROW(s->status_command(evil), scheduler_error);
  EXPECT_EQ(s->parse_find_by_name_output("n", result(0, "  5 tessera-job:n /w/j.sh\n  6 tessera-job:n2 /w/j.sh\n")),
            std::vector<std::string>{"5"});  // a job of an earlier version (renamed itself)
  EXPECT_EQ(s->parse_find_by_name_output("n", result(0, "  7 /bin/bash /w/j.sh tessera-job:n\n"
                                                        "  8 /bin/bash /w/j.sh tessera-job:n2\n"
                                                        "  9 /bin/bash /w/j.sh tessera-job:xn\n"
                                                        " 10 sh -c cd /w && { setsid /bin/bash /w/j.sh tessera-job:n ...; }\n")),
            std::vector<std::string>{"7"});
}
