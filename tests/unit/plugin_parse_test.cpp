// Scheduler plugins' scripts, commands and output parsing, from sample text (PBS has no
// server here: this is its whole test; SLURM, SGE and direct also run for real elsewhere).
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

TEST(plugin_sge, script_has_directives_and_quoted_body) {
  auto t = sample_job();
  t.job_name = "0a11-bb22";  // uuids may start with a digit; SGE job names may not
  t.working_directory = "/scratch/run1";
  t.resources.max_memory_kb = 2048;
  const auto script = sched("core.sge", {{"parallel_environment", "mpi"}})->submit_script(t);
  EXPECT_THAT(script, HasSubstr("#!/bin/bash\n#$ -S /bin/bash\n#$ -N t0a11-bb22\n#$ -wd /scratch/run1\n"));
  EXPECT_THAT(script, HasSubstr("#$ -o /scratch/run1/_scheduler-stdout.txt\n#$ -e /scratch/run1/_scheduler-stderr.txt\n#$ -V\n"));
  EXPECT_THAT(script, HasSubstr("#$ -pe mpi 8\n#$ -l h_rt=1:02:05\n#$ -l h_vmem=512K\n#$ -q debug\n#$ -A proj42\n"));
  EXPECT_THAT(script, HasSubstr("cd '/scratch/run1' || exit 1\n"));
  EXPECT_THAT(script, HasSubstr("'/opt/code/bin/pw.x' '-in' 'it'\\''s.in' > 'out.txt'\n"));

  // One slot needs no parallel environment; a name not starting with a digit is kept.
  t.job_name = "aa11-bb22";
  t.resources = {};
  const auto single = sched("core.sge")->submit_script(t);
  EXPECT_THAT(single, HasSubstr("#$ -N aa11-bb22\n"));
  EXPECT_THAT(single, Not(HasSubstr("-pe")));
  EXPECT_THAT(single, Not(HasSubstr("h_rt")));
}

TEST(plugin_sge, refuses_what_qsub_would_misread) {
  const auto s = sched("core.sge", {{"parallel_environment", "mpi"}});
  auto t = sample_job();
  EXPECT_THROW(s->submit_script(t), scheduler_error);  // space in the working directory
  t.working_directory = "/scratch/a:b";                 // -o/-e/-wd take [host:]path
  EXPECT_THROW(s->submit_script(t), scheduler_error);
  t.working_directory = "/scratch/a,b";                 // and lists of them
  EXPECT_THROW(s->submit_script(t), scheduler_error);
  t.working_directory = "/scratch/ok";
  EXPECT_NO_THROW(s->submit_script(t));
  for (const std::string name : {"x\n#$ -u root", "a@b", "a:b", "a/b", "a b", "a*"}) {
    t.job_name = name;
    EXPECT_THROW(s->submit_script(t), scheduler_error) << name;
  }
  t.job_name = "ok";
  EXPECT_THROW(sched("core.sge")->submit_script(t), scheduler_error);  // 8 slots, no parallel environment
  EXPECT_THROW(sched("core.sge", {{"parallel_environment", "mpi 4"}}), scheduler_error);
  EXPECT_THROW(sched("core.sge", {{"parallel_environment", 4}}), scheduler_error);
}

TEST(plugin_sge, commands_and_parsing_of_qstat_xml) {
  const auto s = sched("core.sge");
  auto job = sample_job();
  job.working_directory = "/w d";
  EXPECT_EQ(s->submit_command(job, "/w d/job.sh"), "cd '/w d' && qsub -terse '/w d/job.sh'");
  EXPECT_EQ(s->parse_submit_output(result(0, "4242\n")), "4242");
  EXPECT_EQ(s->parse_submit_output(result(0, "4243.1-10:1\n")), "4243");  // an array job
  EXPECT_THROW(s->parse_submit_output(result(1, "",
                                              "Unable to run job: denied: \"4f2a\" is not a valid object name "
                                              "(cannot start with a digit)\nExiting.\n")),
               scheduler_error);
  EXPECT_THROW(s->parse_submit_output(result(0, "Your job 12 (\"x\") has been submitted\n")), scheduler_error);

  const std::vector<std::string> ids = {"1", "2", "3", "4", "5", "6", "7", "8", "99"};
  EXPECT_EQ(s->status_command(ids), "qstat -xml -u '*'");
  // `qstat -xml -u '*'` of SGE 8.1.9 (Debian 12), one job per state; 99 is not listed.
  const std::string qstat = R"(<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <job_list state="running">
      <JB_job_number>2</JB_job_number>
      <JAT_prio>0.50000</JAT_prio>
      <JB_name>run_job</JB_name>
      <JB_owner>root</JB_owner>
      <state>dr</state>
      <JAT_start_time>2026-11-22T12:55:24</JAT_start_time>
      <queue_name>all.q@localhost</queue_name>
      <slots>1</slots>
    </job_list>
    <job_list state="running">
      <JB_job_number>4</JB_job_number>
      <JAT_prio>0.25000</JAT_prio>
      <JB_name>sleeper_c</JB_name>
      <JB_owner>root</JB_owner>
      <state>r</state>
      <JAT_start_time>2026-11-22T12:52:16</JAT_start_time>
      <queue_name>all.q@localhost</queue_name>
      <slots>1</slots>
    </job_list>
    <job_list state="suspended">
      <JB_job_number>5</JB_job_number>
      <JB_name>paused</JB_name>
      <state>s</state>
      <queue_name>all.q@localhost</queue_name>
    </job_list>
    <job_list state="running">
      <JB_job_number>8</JB_job_number>
      <JB_name>starting</JB_name>
      <state>t</state>
    </job_list>
  </queue_info>
  <job_info>
    <job_list state="pending">
      <JB_job_number>1</JB_job_number>
      <JAT_prio>0.75000</JAT_prio>
      <JB_name>eqw_job</JB_name>
      <JB_owner>root</JB_owner>
      <state>Eqw</state>
      <JB_submission_time>2026-11-22T12:55:23</JB_submission_time>
      <queue_name></queue_name>
      <slots>1</slots>
    </job_list>
    <job_list state="pending">
      <JB_job_number>3</JB_job_number>
      <JAT_prio>0.00000</JAT_prio>
      <JB_name>sleeper_b</JB_name>
      <JB_owner>root</JB_owner>
      <state>hqw</state>
      <JB_submission_time>2026-11-22T12:52:16</JB_submission_time>
      <queue_name></queue_name>
      <slots>1</slots>
    </job_list>
    <job_list state="pending">
      <JB_job_number>6</JB_job_number>
      <JB_name>waiting</JB_name>
      <state>qw</state>
    </job_list>
    <job_list state="pending">
      <JB_job_number>7</JB_job_number>
      <JB_name>rescheduled</JB_name>
      <state>Rq</state>
    </job_list>
  </job_info>
</job_info>
)";
  const auto st = s->parse_status_output(ids, result(0, qstat));
  EXPECT_EQ(st.at("1"), job_state::failed);  // Eqw would wait for an administrator forever
  EXPECT_EQ(st.at("2"), job_state::cancelled);
  EXPECT_EQ(st.at("3"), job_state::queued_held);
  EXPECT_EQ(st.at("4"), job_state::running);
  EXPECT_EQ(st.at("5"), job_state::suspended);
  EXPECT_EQ(st.at("6"), job_state::queued);
  EXPECT_EQ(st.at("7"), job_state::queued);
  EXPECT_EQ(st.at("8"), job_state::running);
  EXPECT_EQ(st.at("99"), job_state::gone);
  EXPECT_EQ(st.size(), ids.size());
  // No jobs at all: qstat still prints the (empty) lists.
  const auto none = s->parse_status_output(
      ids, result(0, "<?xml version='1.0'?>\n<job_info  xmlns:xsd=\"x\">\n  <queue_info>\n  </queue_info>\n"
                     "  <job_info>\n  </job_info>\n</job_info>\n"));
  for (const auto& id : ids) EXPECT_EQ(none.at(id), job_state::gone);
  EXPECT_THROW(s->parse_status_output(ids, result(1, "",
                                                  "error: commlib error: got select error (Connection refused)\n"
                                                  "unable to contact qmaster using port 6444 on host \"localhost\"\n")),
               scheduler_error);
  EXPECT_THROW(s->parse_status_output(ids, result(0, "")), scheduler_error);
  EXPECT_THROW(s->parse_status_output(ids, result(0, "<job_info><job_list><JB_job_number>1")), scheduler_error);
  for (const std::string bad : {"1;touch x", "abc"}) {
    const std::vector<std::string> evil = {bad};
    EXPECT_THROW(s->status_command(evil), scheduler_error);
  }

  EXPECT_EQ(s->kill_command("12"), "qdel '12'");
  EXPECT_THROW(s->kill_command("*"), scheduler_error);  // qdel takes names and patterns too
  EXPECT_THROW(s->kill_command("run_job"), scheduler_error);
  EXPECT_NO_THROW(s->parse_kill_output(result(0, "root has registered the job 2 for deletion\n")));
  EXPECT_NO_THROW(s->parse_kill_output(result(0, "job 2 is already in deletion\n")));
  EXPECT_NO_THROW(s->parse_kill_output(result(1, "", "denied: job \"999\" does not exist\n")));
  EXPECT_THROW(s->parse_kill_output(result(1, "", "error: commlib error: access denied\n")), scheduler_error);

  EXPECT_EQ(s->find_by_name_command("aa11"), "qstat -xml -u '*' -s prsz");
  EXPECT_THROW(s->find_by_name_command("a:b"), scheduler_error);
  const std::string finished = R"(<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
  </queue_info>
  <job_info>
    <job_list state="zombie">
      <JB_job_number>1</JB_job_number>
      <JAT_prio>0.00000</JAT_prio>
      <JB_name>t0a11-bb22</JB_name>
      <JB_owner>root</JB_owner>
      <state>z</state>
      <JB_submission_time>2026-11-22T12:52:06</JB_submission_time>
      <queue_name></queue_name>
      <slots>1</slots>
    </job_list>
    <job_list state="zombie">
      <JB_job_number>2</JB_job_number>
      <JB_name>t0a11-bb22-other</JB_name>
      <state>z</state>
    </job_list>
  </job_info>
</job_info>
)";
  EXPECT_EQ(s->parse_find_by_name_output("0a11-bb22", result(0, finished)), std::vector<std::string>{"1"});
  EXPECT_TRUE(s->parse_find_by_name_output("0a11", result(0, finished)).empty());
  EXPECT_THROW(s->parse_find_by_name_output("0a11", result(1, "", "unable to contact qmaster")), scheduler_error);
}

TEST(plugin_direct, script_commands_and_parsing) {
  const auto s = sched("core.direct");
  auto t = sample_job();
  const auto script = s->submit_script(t);
  EXPECT_THAT(script, Not(HasSubstr("exec -a")));  // no re-exec: the name is the script's argument
  EXPECT_THAT(script, HasSubstr("cd '/scratch/run 1' || exit 1\n"));
  t.working_directory = "/w";
  // The id is the pid and its start time (field 22 of /proc/<pid>/stat): builtins and
  // parameter expansion only, no word splitting (zsh does none).
  const std::string start_of_p =
      "t=; l=; { read -r l < /proc/$p/stat; } 2>/dev/null; if [ -n \"$l\" ]; then s=${l##*\") \"}; i=0; "
      "while [ $i -lt 19 ]; do s=${s#* }; i=$((i + 1)); done; t=${s%% *}; fi;";
  EXPECT_EQ(s->submit_command(t, "/w/j.sh"),
            "cd '/w' && { setsid /bin/bash '/w/j.sh' 'tessera-job:aa11-bb22' > /dev/null 2>&1 < /dev/null & p=$!; " +
                start_of_p + " if [ -n \"$t\" ]; then echo \"${p}:${t}\"; else echo \"$p\"; fi; }");
  EXPECT_EQ(s->parse_submit_output(result(0, "4321\n")), "4321");
  EXPECT_EQ(s->parse_submit_output(result(0, "4321:987654\n")), "4321:987654");
  for (const auto* bad : {"", "43 21", "4321:", ":5", "4321:5x", "-1", "4321:5:6"}) {
    EXPECT_THROW(s->parse_submit_output(result(0, bad)), scheduler_error) << bad;
  }
  EXPECT_THROW(s->parse_submit_output(result(1, "4321\n")), scheduler_error);
  // The group, without `--` (dash refuses it); the pid then the group again if there is no
  // group yet (setsid() not yet run).
  const std::string kill = "kill -TERM -12 2>/dev/null || { kill -TERM 12 && { kill -TERM -12 2>/dev/null; true; }; }";
  EXPECT_EQ(s->kill_command("12"), kill);
  // With a start time: only while pid 12 is still the process that started then.
  std::string start_of_12 = start_of_p;
  start_of_12.replace(start_of_12.find("$p"), 2, "12");
  EXPECT_EQ(s->kill_command("12:777"), start_of_12 + " if [ -z \"$t\" ] || [ \"$t\" = 777 ]; then " + kill + "; fi");
  EXPECT_THROW(s->kill_command("12:7;7"), scheduler_error);
  EXPECT_THROW(s->kill_command("12 13"), scheduler_error);
  const std::vector<std::string> ids = {"10", "11", "12", "13"};
  EXPECT_EQ(s->status_command(ids),
            "if [ -r /proc/self/stat ]; then cat /proc/10/stat /proc/11/stat /proc/12/stat /proc/13/stat 2>/dev/null; true; "
            "else ps -o pid=,stat= -p '10,11,12,13'; fi");
  // As ps prints them (no /proc) ...
  const auto st = s->parse_status_output(ids, result(0, "   10 S\n   11 R+\n   12 Z\n"));
  EXPECT_EQ(st.at("10"), job_state::running);
  EXPECT_EQ(st.at("11"), job_state::running);
  EXPECT_EQ(st.at("12"), job_state::done);
  EXPECT_EQ(st.at("13"), job_state::gone);
  // ... and as /proc/<pid>/stat has them: the state after the last ')' of the command name.
  const auto proc = s->parse_status_output(ids, result(0, "10 (bash) S 1 10 10 0 -1 4194560 154\n"
                                                          "11 (a) b (c) T 1 11 11 0 -1\n"
                                                          "12 (bash) Z 1 12 12 0 -1\n"
                                                          "99 (bash) R 1 99 99 0 -1\n"));
  EXPECT_EQ(proc.at("10"), job_state::running);
  EXPECT_EQ(proc.at("11"), job_state::suspended);
  EXPECT_EQ(proc.at("12"), job_state::done);
  EXPECT_EQ(proc.at("13"), job_state::gone);
  EXPECT_FALSE(proc.contains("99"));
  // Ids with a start time: a stat line of that pid with another start time is another
  // process (the pid was reused), so the job is gone. One pid may be in two ids then.
  const std::vector<std::string> timed = {"20:500", "20:900", "21:600", "22", "23:5"};
  EXPECT_EQ(s->status_command(timed),
            "if [ -r /proc/self/stat ]; then cat /proc/20/stat /proc/21/stat /proc/22/stat /proc/23/stat 2>/dev/null; true; "
            "else ps -o pid=,stat= -p '20,21,22,23'; fi");
  // A /proc/<pid>/stat line whose field 22 (the start time) is `start`.
  const auto stat = [](const char* pid, const char* name, char state, const char* start) {
    return fmt::format("{} ({}) {} 1 {} {} 0 -1 4194560 154 0 0 0 1 2 0 0 20 0 1 0 {} 8486912 893 1844674407\n", pid,
                       name, state, pid, pid, start);
  };
  const auto timed_st =
      s->parse_status_output(timed, result(0, stat("20", "bash", 'S', "900") + stat("21", "x) (y", 'R', "601") +
                                                  stat("22", "bash", 'S', "1") + stat("23", "sleep", 'Z', "5")));
  EXPECT_EQ(timed_st.at("20:500"), job_state::gone);  // pid 20 now belongs to the job that started at 900
  EXPECT_EQ(timed_st.at("20:900"), job_state::running);
  EXPECT_EQ(timed_st.at("21:600"), job_state::gone);
  EXPECT_EQ(timed_st.at("22"), job_state::running);  // a bare pid (an id of an earlier version): no check
  EXPECT_EQ(timed_st.at("23:5"), job_state::done);
  // ps (no /proc) has no start times: the pid decides.
  EXPECT_EQ(s->parse_status_output(timed, result(0, "20 S\n")).at("20:500"), job_state::running);
  const std::vector<std::string> evil = {"1 -o"};
  EXPECT_THROW(s->status_command(evil), scheduler_error);
  EXPECT_EQ(s->parse_find_by_name_output("n", result(0, "  5 tessera-job:n /w/j.sh\n  6 tessera-job:n2 /w/j.sh\n")),
            std::vector<std::string>{"5"});  // a job of an earlier version (renamed itself)
  EXPECT_EQ(s->parse_find_by_name_output("n", result(0, "  7 /bin/bash /w/j.sh tessera-job:n\n"
                                                        "  8 /bin/bash /w/j.sh tessera-job:n2\n"
                                                        "  9 /bin/bash /w/j.sh tessera-job:xn\n"
                                                        " 10 sh -c cd /w && { setsid /bin/bash /w/j.sh tessera-job:n ...; }\n")),
            std::vector<std::string>{"7"});
  // With /proc, the stat lines of the candidates follow, and give the ids their start times.
  EXPECT_EQ(s->parse_find_by_name_output("n", result(0, "  7 /bin/bash /w/j.sh tessera-job:n\n"
                                                        "  8 /bin/bash /w/j.sh tessera-job:n2\n"
                                                        " 11 tessera-job:n /w/j.sh\n"
                                                        "--tessera-stat--\n" +
                                                        stat("7", "bash", 'S', "4242") + stat("8", "bash", 'S', "1"))),
            (std::vector<std::string>{"7:4242", "11"}));
  const auto find = s->find_by_name_command("it's");
  EXPECT_THAT(find, HasSubstr("case \" $a\" in *' ''tessera-job:it'\\''s'|*' ''tessera-job:it'\\''s'' '*)"));
}
