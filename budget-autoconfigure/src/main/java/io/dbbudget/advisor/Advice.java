package io.dbbudget.advisor;

/**
 * One setting that puts the connection budget at risk, and how to fix it.
 *
 * @param check the name of the check that gave it, as {@code db.budget.advisor.ignore}
 * takes it
 * @param level whether the setting works against the pools or only leaves a risk that a
 * server in its defaults has too
 * @param setting the server setting or pool property at fault
 * @param value its value, and what it is compared with
 * @param risk what goes wrong, in one sentence
 * @param fix a server command or a property that removes the risk
 * @author db-budget team
 */
public record Advice(String check, Level level, String setting, String value, String risk, String fix) {

	/**
	 * The advice as one line of the start-up block.
	 * @return the line
	 */
	public String describe() {
		return this.setting + " = " + this.value + ": " + this.risk + " Fix: " + this.fix;
	}

	/**
	 * How much a piece of advice weighs.
	 */
	public enum Level {

		/**
		 * A setting that works against the pools: the server ends what the pools still count
		 * on, or the pools hide a leak. Logged as a warning.
		 */
		CONFLICT,

		/**
		 * Hardening that a server in its defaults lacks too: worth doing, but no reason to warn
		 * at every start. Named in one line of the start-up block; in full on the endpoint.
		 */
		HARDENING

	}

}
