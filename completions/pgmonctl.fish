# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pgmonctl_global_optspecs
    string join \n url= cacert= socket= config-dir= output= h/help V/version
end

function __fish_pgmonctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pgmonctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pgmonctl_using_subcommand
    set -l cmd (__fish_pgmonctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -s V -l version -d 'Print version'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "login" -d 'Log in to the daemon at --url and save the token (0600) for later commands'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "logout" -d 'Forget the token saved for --url'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "users" -d 'Manage API users'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "ssh-keys" -d 'Manage stored SSH keys'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "stats" -d 'Live status, activity and history (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "settings" -d 'The collector\'s intervals and retention (admin; needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "collector" -d 'The built-in collector (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "metrics" -d 'The daemon\'s Prometheus metrics as a table, for people without Prometheus'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "audit" -d 'The audit trail: changes and logins, newest first (admin; needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "checks" -d 'Health-check findings of the fleet, or of a server: indexes, bloat, sequences, vacuum, keys and settings, each with a fix to review (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "backend" -d 'Cancel a backend\'s query or terminate it (operator; needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "alerts" -d 'Alerts firing now, their history, silences and test notifications (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "top" -d 'A live view of the fleet and a server\'s sessions (needs the daemon). Keys: arrows or j/k select, Enter opens a server, s sorts (duration, cpu, user), / filters, i shows idle sessions, t the blocking tree, c cancels and K terminates the selected session after a confirmation (operators and admins), Esc goes back, q quits'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "apply" -d 'Make servers and users match a file (YAML or JSON), reporting what changed'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "export" -d 'Print the servers, users and SSH key references as an `apply` file, without secrets'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "store" -d 'The shared PostgreSQL store of replicas (SPEC B7); works on the files and the database directly, no daemon needed'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "health" -d 'The daemon\'s health'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "pools" -d 'The daemon\'s connection pools'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "servers" -d 'Manage monitored servers'
complete -c pgmonctl -n "__fish_pgmonctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l user -d 'Login name (default: $USER)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -l password-stdin -d 'Read the password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand logout" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand logout" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand logout" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand logout" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand logout" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand logout" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "list" -d 'List users'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "show" -d 'Show one user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "add" -d 'Add a user (password from a TTY prompt or --password-stdin; at least 8 characters)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "update" -d 'Change a user\'s role, e-mail, active flag or password'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "delete" -d 'Delete a user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "passwd" -d 'Set a user\'s password (your own when LOGIN is left out; at least 8 characters)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and not __fish_seen_subcommand_from list show add update delete passwd help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from list" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from list" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from list" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from list" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from show" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from show" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from show" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from show" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l role -d 'Role: admin, operator or viewer' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l email -d 'E-mail address' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l if-not-exists -d 'Succeed without a change when the user exists (reports whether it changed anything)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -l password-stdin -d 'Read the password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l role -d 'New role: admin, operator or viewer' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l email -d 'New e-mail ("" clears it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l active -d 'Whether the user may log in' -r -f -a "true\t''
false\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -l password-stdin -d 'Read a new password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -l if-exists -d 'Succeed without a change when there is no such user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -l password-stdin -d 'Read the password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from passwd" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "list" -d 'List users'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a user (password from a TTY prompt or --password-stdin; at least 8 characters)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "update" -d 'Change a user\'s role, e-mail, active flag or password'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "passwd" -d 'Set a user\'s password (your own when LOGIN is left out; at least 8 characters)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand users; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "list" -d 'List keys'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "show" -d 'Show one key'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "generate" -d 'Generate a key pair'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "import" -d 'Import a private key file (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "update" -d 'Rename a key or change its description'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "delete" -d 'Delete a key no server uses'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "servers" -d 'Servers that use a key'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "public" -d 'Print a key\'s public half, or write it to a file'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and not __fish_seen_subcommand_from list show generate import update delete servers public help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from list" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from list" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from list" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from list" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from show" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from show" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from show" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from show" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l type -d 'Key type' -r -f -a "rsa\t''
ed25519\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l bits -d 'RSA key size in bits, 2048 to 8192' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l description -d 'What the key is for' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -l passphrase-stdin -d 'Read a passphrase to encrypt the key with from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l file -d 'The private key file' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l description -d 'What the key is for' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -l passphrase-stdin -d 'Read the key\'s passphrase from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l name -d 'New name' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l description -d 'New description' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from delete" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from delete" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from delete" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from delete" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from delete" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from servers" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from servers" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from servers" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from servers" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from servers" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from servers" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -s o -l out -d 'Write the public key to FILE instead of printing it' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from public" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "list" -d 'List keys'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one key'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Generate a key pair'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "import" -d 'Import a private key file (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "update" -d 'Rename a key or change its description'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a key no server uses'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "servers" -d 'Servers that use a key'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "public" -d 'Print a key\'s public half, or write it to a file'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand ssh-keys; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "status" -d 'Every server\'s live status'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "server" -d 'A server\'s history: totals, databases, timeline'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "db" -d 'One database: latest figures and history'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "activity" -d 'Sessions of a server (pg_stat_activity); exit 1 when the server cannot be asked'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "databases" -d 'A server\'s databases now: size, sessions, commits, cache hit ratio, deadlocks, temp bytes, freeze age (pg_stat_database)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "replication" -d 'Standbys with their lag, replication slots with the WAL each holds back, a standby\'s recovery, and findings past the thresholds; exit 1 when the server cannot be asked'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "statements" -d 'The top statements of pg_stat_statements, as rates between pgmond\'s two newest snapshots of it (never reset); exit 1 when the extension is missing, with how to install it'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "analysis" -d 'Databases unused, static, fast-growing or near wraparound, from pgmon\'s history (the thresholds are in `settings show`)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and not __fish_seen_subcommand_from status server db activity databases replication statements analysis help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -l fail-on-down -d 'Print only the servers that are not ok, and exit 1 if there is one (for cron)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l from -d 'Start of the window: RFC 3339 (UTC without an offset), a date, today, yesterday, or a span back (90m, 1h, 7d, "10 minutes ago") [default: 24h, so a new server\'s samples show]' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l to -d 'End of the window (as --from) [default: now]' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from server" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l from -d 'Start of the window: RFC 3339 (UTC without an offset), a date, today, yesterday, or a span back (90m, 1h, 7d, "10 minutes ago") [default: 24h, so a new server\'s samples show]' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l to -d 'End of the window (as --from) [default: now]' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from db" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -l tree -d 'The blocking tree instead: who blocks whom, and the lock each waits for'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from activity" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from databases" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from databases" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from databases" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from databases" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from databases" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from databases" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -l fail-on-findings -d 'Exit 1 when there is a finding (lag or an inactive slot past its threshold)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from replication" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l order -d 'Ranked by' -r -f -a "total_time\t''
calls\t''
mean_time\t''
rows\t''
shared_blks_hit\t''
shared_blks_read\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l limit -d 'How many (1 to 1000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from statements" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -l fail-on-findings -d 'Exit 1 when a database is flagged (for cron and monitoring checks)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from analysis" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "status" -d 'Every server\'s live status'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "server" -d 'A server\'s history: totals, databases, timeline'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "db" -d 'One database: latest figures and history'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "activity" -d 'Sessions of a server (pg_stat_activity); exit 1 when the server cannot be asked'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "databases" -d 'A server\'s databases now: size, sessions, commits, cache hit ratio, deadlocks, temp bytes, freeze age (pg_stat_database)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "replication" -d 'Standbys with their lag, replication slots with the WAL each holds back, a standby\'s recovery, and findings past the thresholds; exit 1 when the server cannot be asked'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "statements" -d 'The top statements of pg_stat_statements, as rates between pgmond\'s two newest snapshots of it (never reset); exit 1 when the extension is missing, with how to install it'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "analysis" -d 'Databases unused, static, fast-growing or near wraparound, from pgmon\'s history (the thresholds are in `settings show`)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand stats; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -f -a "show" -d 'Print the settings in force'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -f -a "set" -d 'Change some settings; the others stay (kept in settings.json in the config dir)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and not __fish_seen_subcommand_from show set help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from show" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from show" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from show" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from show" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l collect-interval -d 'Seconds between samples of a server (10 to 86400; a server entry\'s `collect_interval` overrides it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l size-interval -d 'Seconds between readings of database sizes (60 to 604800)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l raw-retention-days -d 'Days samples are kept as taken before they are rolled up by hour (1 to 3650)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l unused-days -d 'Analysis: a database without a client connection for this many days is unused (1 to 3650)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l static-days -d 'Analysis: a database without a commit or a size change for this many days is static (1 to 3650)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l growth-window-days -d 'Analysis: days over which a database\'s growth is measured (1 to 365)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l growth-mb-per-day -d 'Analysis: growth per day above which a database is fast-growing, in MiB (1 to 10000000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l wraparound-percent -d 'Analysis: a database whose age(datfrozenxid) is over this percentage of the server\'s autovacuum_freeze_max_age is near wraparound (1 to 100)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l activity-query-chars -d 'Activity: characters of a session\'s query shown (100 to 100000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l idle-in-transaction-seconds -d 'Findings: a session idle in a transaction this long holds locks and snapshots for nothing (1 to 604800)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l long-transaction-seconds -d 'Findings: a transaction open this long holds back vacuum (1 to 604800)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l long-query-seconds -d 'Findings: a query running this long (1 to 604800)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l lock-wait-seconds -d 'Findings: a session waiting this long on a lock (1 to 604800)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l replication-lag-seconds -d 'Findings: a standby replaying this far behind, in seconds (1 to 604800)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l replication-lag-mib -d 'Findings: a standby this far behind in WAL, in MiB (1 to 10000000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l slot-retained-mib -d 'Findings: an inactive replication slot holding back this much WAL, in MiB (1 to 10000000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l checks-interval -d 'Checks: seconds between runs of the health checks on a server (3600 to 2592000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l checks-statement-timeout -d 'Checks: a check\'s statement is cancelled after this many seconds (1 to 600)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l bloat-percent -d 'Checks: a table or index is bloated when this share of its size is wasted (1 to 100)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l bloat-min-mib -d 'Checks: ...and the waste is at least this many MiB (1 to 1000000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l sequence-percent -d 'Checks: a sequence (or the column it feeds) past this share of its range (1 to 100)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l vacuum-rows -d 'Checks: a table with this many dead rows, or rows changed since its last analyze, is overdue for vacuum or analyze (1 to 1000000000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l vacuum-percent -d 'Checks: ...when they are also this share of its live rows (1 to 100)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l missing-index-rows -d 'Checks: a table of at least this many rows read mostly by sequential scans may need an index (1 to 1000000000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l down-samples -d 'Alerts: a server is down after this many failed samples in a row (1 to 100)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l connections-percent -d 'Alerts: client sessions past this share of max_connections (1 to 100)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l disk-free-percent -d 'Alerts: the data directory\'s file system with less than this share free (1 to 99)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l certificate-days -d 'Alerts: a monitored server\'s TLS certificate expiring within this many days (1 to 365)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l alert-retention-days -d 'Alerts: days an alert\'s history (and its notifications) is kept after it resolved (1 to 3650)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print the settings in force'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change some settings; the others stay (kept in settings.json in the config dir)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand settings; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -f -a "status" -d 'Per server: last sample, its duration and error, rows stored, legacy import'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and not __fish_seen_subcommand_from status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from status" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from status" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from status" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from status" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from status" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from help" -f -a "status" -d 'Per server: last sample, its duration and error, rows stored, legacy import'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand collector; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -l match -d 'Only series whose name contains this (`pgmon_up`, `database_size`)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand metrics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l actor -d 'Only what this user did (`socket:uid=N` for the admin socket)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l action -d 'Only this action (`server.update`), or a family of them (`server.`)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l target -d 'Only what was done to this server, login or key' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l outcome -d 'Only this outcome' -r -f -a "success\t''
denied\t''
failed\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l since -d 'Only entries at or after this time: RFC 3339 (2026-11-29T00:00:00Z), a date, today, yesterday, or a span back (90m, 1h, 7d, "10 minutes ago")' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l until -d 'Only entries at or before this time (as --since)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l limit -d 'How many entries at most (1 to 1000)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -s f -l follow -d 'Keep printing new entries as they come, oldest first, one a line'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l database -d 'Only findings in this database' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l kind -d 'Only this kind (unused_index, duplicate_index, invalid_index, missing_index, table_bloat, index_bloat, sequence_exhaustion, vacuum_overdue, wraparound, no_primary_key, setting)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l severity -d 'Only findings at least this severe' -r -f -a "info\t''
warning\t''
critical\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l run -d 'Run the checks on SERVER now and show what they found (operator)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -l resolved -d 'Also the findings later runs no longer found, with when'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand checks" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -f -a "cancel" -d 'Cancel the running query of a backend (pg_cancel_backend)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -f -a "terminate" -d 'End a backend and its session (pg_terminate_backend)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and not __fish_seen_subcommand_from cancel terminate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -l force -d 'Also a backend that is not a client\'s (autovacuum, walsender...): admin only'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -l force -d 'Also a backend that is not a client\'s (autovacuum, walsender...): admin only'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from terminate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel the running query of a backend (pg_cancel_backend)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from help" -f -a "terminate" -d 'End a backend and its session (pg_terminate_backend)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand backend; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -f -a "list" -d 'Alerts pending or firing now, most severe first'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -f -a "history" -d 'Alerts that fired, newest first, with their notifications (and, for one, its evidence)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -f -a "silence" -d 'Silences: hold notifications back for maintenance (operator)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -f -a "test" -d 'Send a test notification through a channel now (admin)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and not __fish_seen_subcommand_from list history silence test help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from list" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from list" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from list" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from list" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l server -d 'Only this server\'s' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l rule -d 'Only this rule\'s (server_down, lock_wait, replication_lag_bytes, ...)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l since -d 'Only alerts that began at or after this time (RFC 3339, or 1h, 7d...)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l limit -d 'At most this many' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l id -d 'One alert, with the evidence kept when it fired' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -f -a "add" -d 'Silence the alerts matching every matcher given, until a time'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -f -a "list" -d 'Silences running, and those ended in the last day'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -f -a "expire" -d 'End a silence now'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from silence" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from test" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from test" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from test" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from test" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from test" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from help" -f -a "list" -d 'Alerts pending or firing now, most severe first'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from help" -f -a "history" -d 'Alerts that fired, newest first, with their notifications (and, for one, its evidence)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from help" -f -a "silence" -d 'Silences: hold notifications back for maintenance (operator)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send a test notification through a channel now (admin)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand alerts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l interval -d 'Seconds between refreshes' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l filter -d 'Only sessions whose user, database, state or query contains this' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l sort -d 'Order of the sessions' -r -f -a "duration\t''
cpu\t''
user\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l once -d 'Print one snapshot (the fleet, and the server\'s sessions when one is named) and exit'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -l idle -d 'Show idle sessions too'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -s f -l file -d 'The file of desired servers, users and SSH key references (`-` for standard input)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l dry-run -d 'Print what would change, change nothing'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l prune -d 'Also delete the servers and users the file does not list (never the last admin or you)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l yes -d 'Delete without asking (what --prune needs when not on a terminal)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -l update-secrets -d 'Also set the secrets the file gives for objects that exist (otherwise they are set only when an object is created, has none, or moves to another host, port or user)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -l format -d 'Output format' -r -f -a "yaml\t''
json\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -f -a "migrate" -d 'Copy a config dir (documents, audit trail, raw history) into a shared store, or a shared store back into a config dir (which must hold the key file already). A URL\'s password comes from PGPASSWORD, never from the command line'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and not __fish_seen_subcommand_from migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l from -d 'A config dir, or a postgres:// URL' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l to -d 'A postgres:// URL, or a config dir' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l dry-run -d 'Count what would be copied; change nothing'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -l force -d 'Replace what the target already holds'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Copy a config dir (documents, audit trail, raw history) into a shared store, or a shared store back into a config dir (which must hold the key file already). A URL\'s password comes from PGPASSWORD, never from the command line'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand store; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand health" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand health" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand health" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand health" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand health" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand pools" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand pools" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand pools" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand pools" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand pools" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand pools" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand completions" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand completions" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand completions" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand completions" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand completions" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "list" -d 'List servers'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "show" -d 'Show one server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "update" -d 'Change a server; flags not given keep their value (a new host, port or user clears the stored password unless a new one is given)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "remove" -d 'Remove a server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "test" -d 'Connect to PostgreSQL, and log in over SSH when configured (needs the daemon); exit 1 when either fails'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "test-ssh" -d 'Log in over SSH and run `echo` (needs the daemon); exit 1 when it fails'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "add" -d 'Add a server (--host and --user are required)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and not __fish_seen_subcommand_from list show update remove test test-ssh add help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from list" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from list" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from list" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from list" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from list" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from show" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from show" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from show" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from show" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from show" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l new-name -d 'Rename the server' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l host -d 'Host name or address of the PostgreSQL server' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l port -d 'PostgreSQL port' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l user -d 'PostgreSQL user pgmon logs in as' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l stats-db -d 'Database holding the history tables ("" for none)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l ssh-user -d 'User for SSH logins (disk usage); none: no SSH' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l ssh-port -d 'SSH port' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l ssh-key -d 'SSH key (id or unique name) to log in with instead of a password' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l allow-cleartext-password -d 'Send the password to a server that asks for it in cleartext over an unencrypted connection (refused by default)' -r -f -a "true\t''
false\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l collect-interval -d 'Seconds between the collector\'s samples of this server instead of the setting (0: not sampled; else at least 10; "default": follow the setting again)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l sslmode -d 'TLS to PostgreSQL, as libpq\'s sslmode [default for a new server: prefer]' -r -f -a "disable\t''
prefer\t''
require\t''
verify-ca\t''
verify-full\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l sslrootcert -d 'CA certificate(s) the server\'s must chain to, a PEM file on the daemon\'s machine (a relative path is read from the config dir; "" removes it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l sslcert -d 'Client certificate, a PEM file (with --sslkey; "" removes it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l sslkey -d 'Client key, a PEM file readable by its owner only (0600; "" removes it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l password-stdin -d 'Read the PostgreSQL password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -l ssh-password-stdin -d 'Read the SSH password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -l if-exists -d 'Succeed without a change when there is no such server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test-ssh" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test-ssh" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test-ssh" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test-ssh" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test-ssh" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from test-ssh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l stats-db -d 'Database holding the history tables ("" for none)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l ssh-user -d 'User for SSH logins (disk usage); none: no SSH' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l ssh-key -d 'SSH key (id or unique name) to log in with instead of a password' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l allow-cleartext-password -d 'Send the password to a server that asks for it in cleartext over an unencrypted connection (refused by default)' -r -f -a "true\t''
false\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l collect-interval -d 'Seconds between the collector\'s samples of this server instead of the setting (0: not sampled; else at least 10; "default": follow the setting again)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l sslmode -d 'TLS to PostgreSQL, as libpq\'s sslmode [default for a new server: prefer]' -r -f -a "disable\t''
prefer\t''
require\t''
verify-ca\t''
verify-full\t''"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l sslrootcert -d 'CA certificate(s) the server\'s must chain to, a PEM file on the daemon\'s machine (a relative path is read from the config dir; "" removes it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l sslcert -d 'Client certificate, a PEM file (with --sslkey; "" removes it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l sslkey -d 'Client key, a PEM file readable by its owner only (0600; "" removes it)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l host -d 'Host name or address of the PostgreSQL server' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l user -d 'PostgreSQL user pgmon logs in as' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l port -d 'PostgreSQL port' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l ssh-port -d 'SSH port' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l url -d 'pgmond to talk to over HTTP, as http(s)://HOST:PORT (token from PGMON_TOKEN or `login`; after a `login`, commands without a target use its daemon)' -r
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l cacert -d 'CA certificates (PEM) to trust for an https:// daemon, besides the system\'s' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l socket -d 'pgmond\'s admin Unix socket (acts as admin, no token)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l config-dir -d 'Config directory to work on directly (local mode)' -r -F
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l output -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'Exactly the API\'s JSON, for scripts'"
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l password-stdin -d 'Read the PostgreSQL password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l ssh-password-stdin -d 'Read the SSH password from standard input'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l no-check -d 'Add it even if host:port does not answer now'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l test -d 'Connect to it (PostgreSQL, and SSH when configured) first, through the daemon, and add it only if that works; exit 1 otherwise'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -l if-not-exists -d 'Succeed without a change when the server exists (reports whether it changed anything)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "list" -d 'List servers'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "update" -d 'Change a server; flags not given keep their value (a new host, port or user clears the stored password unless a new one is given)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "test" -d 'Connect to PostgreSQL, and log in over SSH when configured (needs the daemon); exit 1 when either fails'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "test-ssh" -d 'Log in over SSH and run `echo` (needs the daemon); exit 1 when it fails'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a server (--host and --user are required)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand servers; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "login" -d 'Log in to the daemon at --url and save the token (0600) for later commands'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "logout" -d 'Forget the token saved for --url'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "users" -d 'Manage API users'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "ssh-keys" -d 'Manage stored SSH keys'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "stats" -d 'Live status, activity and history (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "settings" -d 'The collector\'s intervals and retention (admin; needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "collector" -d 'The built-in collector (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "metrics" -d 'The daemon\'s Prometheus metrics as a table, for people without Prometheus'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "audit" -d 'The audit trail: changes and logins, newest first (admin; needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "checks" -d 'Health-check findings of the fleet, or of a server: indexes, bloat, sequences, vacuum, keys and settings, each with a fix to review (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "backend" -d 'Cancel a backend\'s query or terminate it (operator; needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "alerts" -d 'Alerts firing now, their history, silences and test notifications (needs the daemon)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "top" -d 'A live view of the fleet and a server\'s sessions (needs the daemon). Keys: arrows or j/k select, Enter opens a server, s sorts (duration, cpu, user), / filters, i shows idle sessions, t the blocking tree, c cancels and K terminates the selected session after a confirmation (operators and admins), Esc goes back, q quits'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "apply" -d 'Make servers and users match a file (YAML or JSON), reporting what changed'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "export" -d 'Print the servers, users and SSH key references as an `apply` file, without secrets'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "store" -d 'The shared PostgreSQL store of replicas (SPEC B7); works on the files and the database directly, no daemon needed'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "health" -d 'The daemon\'s health'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "pools" -d 'The daemon\'s connection pools'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "completions" -d 'Print a shell completion script'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "servers" -d 'Manage monitored servers'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and not __fish_seen_subcommand_from login logout users ssh-keys stats settings collector metrics audit checks backend alerts top apply export store health pools completions servers help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "list" -d 'List users'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "show" -d 'Show one user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "add" -d 'Add a user (password from a TTY prompt or --password-stdin; at least 8 characters)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "update" -d 'Change a user\'s role, e-mail, active flag or password'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "delete" -d 'Delete a user'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from users" -f -a "passwd" -d 'Set a user\'s password (your own when LOGIN is left out; at least 8 characters)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "list" -d 'List keys'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "show" -d 'Show one key'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "generate" -d 'Generate a key pair'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "import" -d 'Import a private key file (OpenSSH, PKCS#1, PKCS#8 or SEC1 PEM)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "update" -d 'Rename a key or change its description'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "delete" -d 'Delete a key no server uses'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "servers" -d 'Servers that use a key'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from ssh-keys" -f -a "public" -d 'Print a key\'s public half, or write it to a file'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "status" -d 'Every server\'s live status'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "server" -d 'A server\'s history: totals, databases, timeline'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "db" -d 'One database: latest figures and history'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "activity" -d 'Sessions of a server (pg_stat_activity); exit 1 when the server cannot be asked'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "databases" -d 'A server\'s databases now: size, sessions, commits, cache hit ratio, deadlocks, temp bytes, freeze age (pg_stat_database)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "replication" -d 'Standbys with their lag, replication slots with the WAL each holds back, a standby\'s recovery, and findings past the thresholds; exit 1 when the server cannot be asked'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "statements" -d 'The top statements of pg_stat_statements, as rates between pgmond\'s two newest snapshots of it (never reset); exit 1 when the extension is missing, with how to install it'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from stats" -f -a "analysis" -d 'Databases unused, static, fast-growing or near wraparound, from pgmon\'s history (the thresholds are in `settings show`)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "show" -d 'Print the settings in force'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from settings" -f -a "set" -d 'Change some settings; the others stay (kept in settings.json in the config dir)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from collector" -f -a "status" -d 'Per server: last sample, its duration and error, rows stored, legacy import'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from backend" -f -a "cancel" -d 'Cancel the running query of a backend (pg_cancel_backend)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from backend" -f -a "terminate" -d 'End a backend and its session (pg_terminate_backend)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from alerts" -f -a "list" -d 'Alerts pending or firing now, most severe first'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from alerts" -f -a "history" -d 'Alerts that fired, newest first, with their notifications (and, for one, its evidence)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from alerts" -f -a "silence" -d 'Silences: hold notifications back for maintenance (operator)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from alerts" -f -a "test" -d 'Send a test notification through a channel now (admin)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from store" -f -a "migrate" -d 'Copy a config dir (documents, audit trail, raw history) into a shared store, or a shared store back into a config dir (which must hold the key file already). A URL\'s password comes from PGPASSWORD, never from the command line'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "list" -d 'List servers'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "show" -d 'Show one server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "update" -d 'Change a server; flags not given keep their value (a new host, port or user clears the stored password unless a new one is given)'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "remove" -d 'Remove a server'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "test" -d 'Connect to PostgreSQL, and log in over SSH when configured (needs the daemon); exit 1 when either fails'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "test-ssh" -d 'Log in over SSH and run `echo` (needs the daemon); exit 1 when it fails'
complete -c pgmonctl -n "__fish_pgmonctl_using_subcommand help; and __fish_seen_subcommand_from servers" -f -a "add" -d 'Add a server (--host and --user are required)'
