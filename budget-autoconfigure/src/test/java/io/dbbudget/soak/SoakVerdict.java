package io.dbbudget.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.dbbudget.soak.ChaosSoak.Strike;

/**
 * Judges a soak's whole history afterwards, as Jepsen's checkers do: the members' own
 * records (one sample every 100 ms, every failure, every committed id), the application's
 * sessions counted on the server every 100 ms, and when each fault struck. Writes
 * {@code report.md}, {@code timeline.csv}, {@code strikes.csv} and {@code failures.csv}.
 *
 * @param rows one row per kind of fault
 * @param violations every invariant broken, with when and by how much
 */
record SoakVerdict(Map<Fault, Row> rows, List<String> violations) {

	static SoakVerdict judge(Path dir, long started, long ended, List<Strike> strikes, List<long[]> sessions,
			List<Integer> exitCodes, List<Long> stored, int budget, Duration heartbeat) throws IOException {
		List<String> violations = new ArrayList<>();
		List<MemberRecord> members = new ArrayList<>();
		for (int i = 0; i < exitCodes.size(); i++) {
			members.add(MemberRecord.read(dir, i));
			if (exitCodes.get(i) != 0) {
				violations.add("member " + i + " " + ((exitCodes.get(i) == 3) ? "had threads stuck at the end"
						: "did not stop cleanly (exit " + exitCodes.get(i) + ")"));
			}
		}
		overBudget(sessions, budget, started, violations);
		Set<Long> storedIds = new HashSet<>(stored);
		long recorded = 0;
		long lost = 0;
		for (int i = 0; i < exitCodes.size(); i++) {
			for (String line : Files.readAllLines(dir.resolve("ids-" + i + ".txt"))) {
				recorded++;
				lost += storedIds.contains(Long.parseLong(line)) ? 0 : 1;
			}
		}
		if (lost > 0) {
			violations.add(lost + " of " + recorded + " writes recorded after commit() are not in the table");
		}
		long firstStrike = strikes.isEmpty() ? ended : strikes.get(0).start();
		long early = members.stream().flatMap((member) -> member.failures().stream()).filter((f) -> f.time() < firstStrike)
			.count();
		if (early > 0) {
			violations.add(early + " operations failed before any fault");
		}
		Map<Fault, Row> rows = new EnumMap<>(Fault.class);
		for (int s = 0; s < strikes.size(); s++) {
			Strike strike = strikes.get(s);
			long until = (s + 1 < strikes.size()) ? strikes.get(s + 1).start() : ended;
			long failures = members.stream()
				.flatMap((member) -> member.failures().stream())
				.filter((f) -> f.time() >= strike.start() && f.time() < until)
				.count();
			long inFlight = members.stream().mapToLong((member) -> member.inFlight(strike)).sum();
			if (failures > inFlight) {
				violations.add(strike.fault().description() + " at +" + (strike.start() - started) + " ms: " + failures
						+ " failures, more than the " + inFlight + " operations in flight");
			}
			long recovery = 0;
			for (int m = 0; m < members.size(); m++) {
				if (strike.fault() == Fault.KILL_MEMBER && m == strike.member()) {
					continue;
				}
				long served = members.get(m).servedAfter(strike.end(), until);
				if (served < 0 || served - strike.end() > 2 * heartbeat.toMillis()) {
					violations.add(strike.fault().description() + " at +" + (strike.start() - started) + " ms: member "
							+ m + ((served < 0) ? " did not serve again" : " served again only after "
									+ (served - strike.end()) + " ms")
							+ ", more than 2 heartbeats (" + 2 * heartbeat.toMillis() + " ms)");
				}
				recovery = Math.max(recovery, (served < 0) ? until - strike.end() : served - strike.end());
			}
			rows.merge(strike.fault(), new Row(1, failures, inFlight, recovery), Row::add);
		}
		SoakVerdict verdict = new SoakVerdict(rows, violations);
		verdict.write(dir, started, strikes, sessions, members, recorded);
		return verdict;
	}

	/**
	 * One violation per stretch of samples over the budget, with its longest excess.
	 */
	private static void overBudget(List<long[]> sessions, int budget, long started, List<String> violations) {
		long[] first = null;
		long[] last = null;
		long most = 0;
		int count = 0;
		for (long[] sample : sessions) {
			if (sample[1] > budget) {
				first = (first != null) ? first : sample;
				last = sample;
				most = Math.max(most, sample[1]);
				count++;
			}
			if (first != null && (sample[1] <= budget || sample == sessions.get(sessions.size() - 1))) {
				violations.add("the application held up to " + most + " sessions, over its budget of " + budget
						+ ", from +" + (first[0] - started) + " to +" + (last[0] - started) + " ms (" + count
						+ " samples)");
				first = null;
				most = 0;
				count = 0;
			}
		}
	}

	private void write(Path dir, long started, List<Strike> strikes, List<long[]> sessions,
			List<MemberRecord> members, long recorded) throws IOException {
		StringBuilder report = new StringBuilder();
		report.append("| fault | count | failures | in flight when it struck | longest recovery (ms) |\n");
		report.append("|---|---:|---:|---:|---:|\n");
		this.rows.forEach((fault, row) -> report.append("| ").append(fault.description()).append(" | ")
			.append(row.count()).append(" | ").append(row.failures()).append(" | ").append(row.inFlight())
			.append(" | ").append(row.longestRecovery()).append(" |\n"));
		long ok = members.stream().mapToLong(MemberRecord::ok).sum();
		report.append("\n").append(ok).append(" operations succeeded, ").append(recorded)
			.append(" writes recorded after commit() and all checked against the table; ")
			.append(sessions.stream().mapToLong((sample) -> sample[1]).max().orElse(0))
			.append(" application sessions at most.\n");
		report.append(this.violations.isEmpty() ? "\nNo invariant violated.\n"
				: "\nViolations:\n- " + String.join("\n- ", this.violations) + "\n");
		Files.writeString(dir.resolve("report.md"), report);
		StringBuilder strikesCsv = new StringBuilder("start_s,end_s,fault,member\n");
		for (Strike strike : strikes) {
			strikesCsv.append(seconds(strike.start(), started)).append(',').append(seconds(strike.end(), started))
				.append(',').append(strike.fault().name()).append(',').append(strike.member()).append('\n');
		}
		Files.writeString(dir.resolve("strikes.csv"), strikesCsv);
		StringBuilder timeline = new StringBuilder("t_s,source,value1,value2,value3\n");
		for (long[] sample : sessions) {
			// all of the application's sessions, of them the coordination sessions, and those
			// opened within the last second
			timeline.append(seconds(sample[0], started)).append(",sessions,").append(sample[1]).append(',')
				.append(sample[2]).append(',').append(sample[3]).append('\n');
		}
		for (int m = 0; m < members.size(); m++) {
			for (long[] sample : members.get(m).samples()) {
				// member, pool maximum (its allocation), pool total
				timeline.append(seconds(sample[0], started)).append(",member").append(m).append(',').append(sample[6])
					.append(',').append(sample[4]).append(',').append(sample[2]).append('\n');
			}
		}
		Files.writeString(dir.resolve("timeline.csv"), timeline);
		StringBuilder failures = new StringBuilder("t_s,member,state\n");
		for (int m = 0; m < members.size(); m++) {
			for (Failure failure : members.get(m).failures()) {
				failures.append(seconds(failure.time(), started)).append(',').append(m).append(',')
					.append(failure.state()).append('\n');
			}
		}
		Files.writeString(dir.resolve("failures.csv"), failures);
	}

	private static String seconds(long millis, long started) {
		return String.format(java.util.Locale.ROOT, "%.1f", (millis - started) / 1000.0);
	}

	/**
	 * What one kind of fault cost, over all its strikes.
	 *
	 * @param count how often it struck
	 * @param failures operations that failed from its strike to the next
	 * @param inFlight operations in flight when it struck
	 * @param longestRecovery the longest time, in ms, from the fault's end until a member
	 * served again
	 */
	record Row(int count, long failures, long inFlight, long longestRecovery) {

		Row add(Row other) {
			return new Row(this.count + other.count, this.failures + other.failures, this.inFlight + other.inFlight,
					Math.max(this.longestRecovery, other.longestRecovery));
		}

	}

	/**
	 * A failed operation.
	 *
	 * @param time when it failed, epoch ms
	 * @param started when it started, epoch ms
	 * @param state its SQLSTATE, or the exception's class without one
	 */
	record Failure(long time, long started, String state) {

	}

	/**
	 * What a member recorded, over all its incarnations.
	 *
	 * @param samples {@code [epoch ms, in flight, ok, failed, pool total, pool active, pool
	 * maximum]} every 100 ms
	 * @param failures every failed operation
	 * @param operations {@code [started, ended]} (epoch ms) of every operation, failed or not
	 */
	record MemberRecord(List<long[]> samples, List<Failure> failures, List<long[]> operations) {

		static MemberRecord read(Path dir, int member) throws IOException {
			List<long[]> samples = new ArrayList<>();
			List<Failure> failures = new ArrayList<>();
			List<long[]> operations = new ArrayList<>();
			for (String line : Files.readAllLines(dir.resolve("member-" + member + ".log"))) {
				String[] fields = line.split(" ");
				if (line.startsWith("S ") && fields.length == 8) {
					long[] sample = new long[7];
					for (int i = 0; i < 7; i++) {
						sample[i] = Long.parseLong(fields[i + 1]);
					}
					samples.add(sample);
				}
				else if (line.startsWith("F ") && fields.length == 4) {
					failures.add(new Failure(Long.parseLong(fields[1]), Long.parseLong(fields[2]), fields[3]));
					operations.add(new long[] { Long.parseLong(fields[2]), Long.parseLong(fields[1]) });
				}
				else if (line.startsWith("O ") && fields.length == 3) {
					operations.add(new long[] { Long.parseLong(fields[1]), Long.parseLong(fields[2]) });
				}
			}
			return new MemberRecord(samples, failures, operations);
		}

		long ok() {
			// Each incarnation counts from zero: add up the last count of each
			long ok = 0;
			long previous = 0;
			for (long[] sample : this.samples) {
				if (sample[2] < previous) {
					ok += previous;
				}
				previous = sample[2];
			}
			return ok + previous;
		}

		/**
		 * The operations in flight while a fault landed: begun before it had landed and not
		 * over before it struck.
		 */
		long inFlight(Strike strike) {
			return this.operations.stream()
				.filter((operation) -> operation[0] <= strike.landed() && operation[1] >= strike.start())
				.count();
		}

		/**
		 * When the member first completed an operation after a time.
		 * @return the epoch ms of the first sample that counts one more success than the
		 * sample before it, or {@code -1} if none before {@code until}
		 */
		long servedAfter(long time, long until) {
			for (int i = 1; i < this.samples.size(); i++) {
				long[] sample = this.samples.get(i);
				if (sample[0] >= time && sample[0] < until && sample[2] > this.samples.get(i - 1)[2]) {
					return sample[0];
				}
			}
			return -1;
		}

	}

}
