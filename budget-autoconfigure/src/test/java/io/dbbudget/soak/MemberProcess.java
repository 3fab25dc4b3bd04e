package io.dbbudget.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.dbbudget.soak.ChaosSoak.APP;
import static io.dbbudget.soak.ChaosSoak.HEARTBEAT;
import static io.dbbudget.soak.ChaosSoak.SERVICE_CONNECTIONS;

/**
 * A soak member's JVM: launched from the test classpath, killed with SIGKILL, paused and
 * continued with SIGSTOP and SIGCONT.
 */
final class MemberProcess {

	private final Process process;

	private final Path dir;

	private final int member;

	private final int incarnation;

	// Where this incarnation's records start in the member's log
	private final long logOffset;

	private MemberProcess(Process process, Path dir, int member, int incarnation, long logOffset) {
		this.process = process;
		this.dir = dir;
		this.member = member;
		this.incarnation = incarnation;
		this.logOffset = logOffset;
	}

	static MemberProcess launch(Path dir, int member, int incarnation, String jdbcUrl) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
		ProcessBuilder builder = new ProcessBuilder(java, "-Xms32m", "-Xmx160m", "-XX:+UseSerialGC",
				"-XX:TieredStopAtLevel=1", "-cp", classPath, SoakMember.class.getName(), dir.toString(),
				String.valueOf(member), String.valueOf(incarnation), "3", "3",
				"--spring.datasource.url=" + jdbcUrl, "--spring.datasource.username=" + APP,
				"--spring.datasource.password=secret", "--spring.datasource.hikari.maximum-pool-size=20",
				"--spring.application.name=" + APP, "--spring.main.banner-mode=off",
				"--db.budget.application-name=" + APP + "-" + member,
				"--db.budget.service-connections=" + SERVICE_CONNECTIONS,
				"--db.budget.coordination.enabled=true", "--db.budget.coordination.group=" + APP,
				"--db.budget.coordination.heartbeat=" + HEARTBEAT.toSeconds() + "s",
				"--logging.level.root=WARN", "--logging.level.io.dbbudget=INFO");
		Path log = dir.resolve("member-" + member + ".log");
		long logOffset = Files.exists(log) ? Files.size(log) : 0;
		builder.redirectErrorStream(true);
		builder.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("member-" + member + ".out").toFile()));
		return new MemberProcess(builder.start(), dir, member, incarnation, logOffset);
	}

	int incarnation() {
		return this.incarnation;
	}

	void awaitServing(Duration timeout) throws Exception {
		Path log = this.dir.resolve("member-" + this.member + ".log");
		long deadline = System.nanoTime() + timeout.toNanos();
		while (System.nanoTime() < deadline) {
			if (Files.exists(log) && servesIn(Files.readString(log).substring((int) this.logOffset))) {
				return;
			}
			if (!this.process.isAlive()) {
				throw new IllegalStateException("member " + this.member + " exited with "
						+ this.process.exitValue() + ", see member-" + this.member + ".out");
			}
			Thread.sleep(200);
		}
		throw new IllegalStateException("member " + this.member + " did not serve within " + timeout);
	}

	private static boolean servesIn(String records) {
		return records.lines().anyMatch((line) -> line.startsWith("S ") && line.split(" ").length == 8
				&& Long.parseLong(line.split(" ")[3]) > 0);
	}

	void kill() {
		// SIGKILL on Unix: no shutdown hook, no pool close, as with kill -9
		this.process.destroyForcibly();
		try {
			this.process.waitFor(30, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	void signal(String signal) throws Exception {
		// The shell's own kill: no procps needed on a bare machine
		Process kill = new ProcessBuilder("sh", "-c", "kill -" + signal + " " + this.process.pid()).start();
		if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
			throw new IllegalStateException("kill -" + signal + " " + this.process.pid() + " failed");
		}
	}

	int awaitExit(Duration timeout) throws InterruptedException {
		if (!this.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
			kill();
			return -1;
		}
		return this.process.exitValue();
	}

}
