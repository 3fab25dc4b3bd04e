/**
 * PostgreSQL server programs from the binaries on Maven Central, run as an unprivileged user
 * when the JVM is root: what the tests and the sample application use when no PostgreSQL is
 * installed. The starter never depends on this.
 */
@NullMarked
package io.dbbudget.embedded;

import org.jspecify.annotations.NullMarked;
