package io.dbbudget.advisor;

/**
 * One setting that puts the connection budget at risk, and how to fix it.
 *
 * @param check the name of the check that gave it, as {@code db.budget.advisor.ignore}
 * takes it
 * @param setting the server setting or pool property at fault
 * @param value its value, and what it is compared with
 * @param risk what goes wrong, in one sentence
 * @param fix a server command or a property that removes the risk
 * @author db-budget team
 */
public record Advice(String check, String setting, String value, String risk, String fix) {

	/**
	 * The advice as one line of the start-up block.
	 * @return the line
	 */
	public String describe() {
		return this.setting + " = " + this.value + ": " + this.risk + " Fix: " + this.fix;
	}

}
