package io.dbbudget.soak;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet under read and write load through every kind of fault, its invariants checked on
 * the whole history: the application's sessions never exceed the service budget, every write
 * recorded after {@code commit()} is in the table, the failures of each fault are at most the
 * operations in flight when it struck, every pool serves again within two heartbeats of the
 * fault's end, and no thread is stuck at the end.
 * <p>
 * In {@code ./mvnw verify} it runs every kind of fault once, in a fixed order (about two
 * minutes). {@code benchmarks/chaos/run.sh} runs it for longer on a seeded random schedule
 * ({@code -Dsoak.seed}, {@code -Dsoak.minutes}); a violation names the seed that replays it.
 */
class ChaosSoakTests {

	@Test
	void everyKindOfFaultUnderLoadBreaksNoInvariant() throws Exception {
		Long seed = Long.getLong("soak.seed");
		Duration duration = Duration.ofMinutes(Long.getLong("soak.minutes", 10));
		FaultSchedule schedule = (seed != null) ? FaultSchedule.random(seed, duration, ChaosSoak.MEMBERS)
				: FaultSchedule.oneOfEach(ChaosSoak.MEMBERS);
		Path dir = Path.of(System.getProperty("soak.dir", "target/soak"),
				(seed != null) ? "seed-" + seed : "one-of-each");
		SoakVerdict verdict;
		try (ChaosSoak soak = ChaosSoak.start(dir)) {
			verdict = soak.run(schedule);
		}
		String replay = (seed != null) ? "seed " + seed + " (-Dsoak.seed=" + seed + " -Dsoak.minutes="
				+ duration.toMinutes() + ")" : "the fixed schedule";
		System.out.println("soak, " + replay + ", " + dir + ":\n" + Files.readString(dir.resolve("report.md")));
		assertThat(verdict.violations()).as("invariants broken with " + replay).isEmpty();
		if (seed == null) {
			assertThat(verdict.rows()).hasSize(Fault.values().length);
			// Faults that end no session of a pool serving its callers cost nothing at all: the
			// survivors of a kill -9, a paused member once continued, a server full of others
			for (Fault fault : List.of(Fault.COORDINATION_TERMINATION, Fault.KILL_MEMBER, Fault.FILL_SERVER,
					Fault.PAUSE_MEMBER)) {
				assertThat(verdict.rows().get(fault).failures()).as(fault.description()).isZero();
			}
		}
	}

}
