/**
 * The dialect of MySQL and MariaDB, one for both where they agree: their connection limits, the
 * activity sample from {@code PROCESSLIST}, the {@code program_name} connection attribute and
 * the termination of this application's idle threads.
 */
@NullMarked
package io.dbbudget.server.mysql;

import org.jspecify.annotations.NullMarked;
