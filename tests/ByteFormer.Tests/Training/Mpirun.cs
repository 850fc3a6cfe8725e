using System.Diagnostics;
using System.Text;

namespace ByteFormer.Tests.Training;

/// <summary>Launches the byteformer command of the test build under Open MPI's mpirun.</summary>
public static class Mpirun
{
    /// <summary>The byteformer command built beside the tests: its apphost, or the dotnet host with its dll where a
    /// build made none.</summary>
    public static string[] Byteformer
    {
        get
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, "byteformer");
            return File.Exists(apphost) ? [apphost] : ["dotnet", Path.Combine(AppContext.BaseDirectory, "byteformer.dll")];
        }
    }

    /// <summary>mpirun's path; a missing one fails the test with the fix (never a silent skip).</summary>
    public static string Command
    {
        get
        {
            var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);
            Assert.True(found is not null, "mpirun is not installed: run scripts/setup.sh (it installs openmpi-bin and libopenmpi3)");
            return found!;
        }
    }

    /// <summary>A started job: mpirun with some ranks of a byteformer command line, both outputs collected.</summary>
    public sealed class Job : IDisposable
    {
        private readonly StringBuilder output = new();
        public Process Process { get; }

        public Job(int ranks, string[] args)
        {
            var info = new ProcessStartInfo(Command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // Several ranks on a 2-core machine (--oversubscribe), not pinned to one core each (--bind-to none);
            // CI runs as root, which mpirun refuses unless told.
            foreach (var a in new[] { "-np", ranks.ToString(), "--oversubscribe", "--bind-to", "none" }) info.ArgumentList.Add(a);
            if (Environment.UserName == "root") info.ArgumentList.Add("--allow-run-as-root");
            foreach (var a in Byteformer) info.ArgumentList.Add(a);
            foreach (var a in args) info.ArgumentList.Add(a);
            info.Environment["TERM"] = "dumb";
            Process = new Process { StartInfo = info };
            Process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
            Process.Start();
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
        }

        public string Output { get { lock (output) return output.ToString(); } }

        /// <summary>Waits for the job to end; false when it did not within <paramref name="timeout"/> (then it is killed).</summary>
        public bool Wait(TimeSpan timeout)
        {
            if (Process.WaitForExit(timeout))
            {
                Process.WaitForExit();                                          // the output handlers are done too
                return true;
            }
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
            return false;
        }

        /// <summary>The rank processes mpirun started (its children), by rank.</summary>
        public Dictionary<int, int> Ranks()
        {
            var ranks = new Dictionary<int, int>();
            string[] children;
            try
            {
                children = File.ReadAllText($"/proc/{Process.Id}/task/{Process.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                return ranks;                                                   // mpirun has ended
            }
            foreach (var child in children.Select(int.Parse))
            {
                try
                {
                    var env = File.ReadAllText($"/proc/{child}/environ").Split('\0');
                    var rank = env.FirstOrDefault(v => v.StartsWith("OMPI_COMM_WORLD_RANK="));
                    if (rank is not null) ranks[int.Parse(rank.Split('=')[1])] = child;
                }
                catch (IOException) { }
            }
            return ranks;
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }

    /// <summary>Runs a job to its end and returns its exit code and output; fails the test past <paramref name="timeoutSeconds"/>.</summary>
    public static (int ExitCode, string Output) Run(int ranks, int timeoutSeconds, params string[] args)
    {
        using var job = new Job(ranks, args);
        Assert.True(job.Wait(TimeSpan.FromSeconds(timeoutSeconds)), $"mpirun did not end within {timeoutSeconds} s:\n{job.Output}");
        return (job.Process.ExitCode, job.Output);
    }
}
