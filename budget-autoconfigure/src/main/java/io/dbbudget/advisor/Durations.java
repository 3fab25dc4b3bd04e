package io.dbbudget.advisor;

import java.time.Duration;

/**
 * Durations as people read them and as PostgreSQL takes them.
 *
 * @author db-budget team
 */
final class Durations {

	private Durations() {
	}

	/**
	 * For people: {@code 5 s}, {@code 2 min 5 s}, {@code 2 h 11 min}, {@code 0 (off)}.
	 */
	static String human(Duration duration) {
		if (duration.isZero()) {
			return "0 (off)";
		}
		if (duration.toMillis() < 1000) {
			return duration.toMillis() + " ms";
		}
		long hours = duration.toHours();
		int minutes = duration.toMinutesPart();
		int seconds = duration.toSecondsPart();
		if (hours > 0) {
			return hours + " h" + ((minutes > 0) ? " " + minutes + " min" : "");
		}
		if (minutes > 0) {
			return minutes + " min" + ((seconds > 0) ? " " + seconds + " s" : "");
		}
		return seconds + " s";
	}

	/**
	 * For PostgreSQL and Spring Boot alike, in whole seconds or minutes: {@code 30s},
	 * {@code 3min}.
	 */
	static String postgres(Duration duration) {
		long seconds = duration.toSeconds();
		return (seconds % 60 == 0 && seconds > 0) ? (seconds / 60) + "min" : seconds + "s";
	}

	/**
	 * For Spring Boot properties: {@code 30s}, {@code 3m}.
	 */
	static String property(Duration duration) {
		long seconds = duration.toSeconds();
		return (seconds % 60 == 0 && seconds > 0) ? (seconds / 60) + "m" : seconds + "s";
	}

	/**
	 * Rounded up to whole minutes.
	 */
	static Duration ceilingMinutes(Duration duration) {
		long minutes = (duration.toSeconds() + 59) / 60;
		return Duration.ofMinutes(minutes);
	}

}
