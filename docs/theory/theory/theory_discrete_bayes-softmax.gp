# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'theory_discrete_bayes-softmax.gp'
set encoding utf8
stem = 'theory_discrete_bayes-softmax'
data = stem.'.dat'
set grid
set key outside right top Left reverse
do for [format in "png svg"] {
  if (format eq "png") {
    set terminal pngcairo size 800,500 font 'sans,11' noenhanced background '#ffffff'
  } else {
    set terminal svg size 800,500 fixed font 'sans,11' noenhanced background '#ffffff'
  }
  set output stem.'.'.format
  set title 'bayes-softmax (discrete prior): simulations and the D -> infinity limit'
  set xlabel 't = samples / D'
  set ylabel 'population risk'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.005832673406175582:411.5190124409556]
  set yrange [*:*]
  plot data index 0 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'simulation D = 250', \
       data index 1 using 1:2 with lines lc rgb '#d62728' lw 2 title 'simulation D = 1000', \
       data index 2 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'simulation D = 2000', \
       data index 3 using 1:2:3 with yerrorlines lc rgb '#9467bd' lw 2 dt 2 pt -1 title 'D -> infinity limit (band: Monte Carlo)'
}
unset output
