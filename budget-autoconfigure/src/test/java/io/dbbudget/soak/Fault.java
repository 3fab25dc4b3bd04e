package io.dbbudget.soak;

/**
 * The faults of the soak, each as an operator or the infrastructure would cause it.
 */
enum Fault {

	/** The server stops (fast shutdown) and starts again at once. */
	FAST_RESTART("fast restart"),

	/** The server is down for 6 s. */
	OUTAGE("6 s outage"),

	/** Every session of the application's role is terminated. */
	MASS_TERMINATION("mass termination"),

	/** Every fleet coordination session is terminated. */
	COORDINATION_TERMINATION("coordination sessions terminated"),

	/** A member is killed with {@code kill -9} and started again. */
	KILL_MEMBER("kill -9 of a member, restarted"),

	/** Another role takes every free connection slot for 5 s. */
	FILL_SERVER("server filled by another role"),

	/** A member is paused with {@code SIGSTOP} for 10 s, then continued. */
	PAUSE_MEMBER("member paused 10 s (SIGSTOP)");

	private final String description;

	Fault(String description) {
		this.description = description;
	}

	String description() {
		return this.description;
	}

}
